"""The `gridgov` command: worker jobs, grid import/export through the CLI, and bad input."""

import json

import pytest

from gridgov import cli


@pytest.mark.django_db(transaction=True)  # the worker runs in-process: its own transactions, as in production
def test_worker_once_runs_every_job(capsys, roles):
    from django_tasks_db.models import DBTaskResult

    assert cli.main(["worker", "--once"]) == 0
    out = capsys.readouterr().out
    for name in ("cases escalation", "care daily jobs", "safety weekly scan", "task results pruning",
                 "sign-in sessions pruning", "grid locator file"):
        assert f" {name}: " in out
    done = dict(DBTaskResult.objects.values_list("task_path", "status"))
    assert done == {"gridgov.cases.tasks.escalate": "SUCCESSFUL", "gridgov.care.tasks.daily_jobs": "SUCCESSFUL",
                    "gridgov.safety.tasks.weekly_scan": "SUCCESSFUL",
                    "gridgov.core.tasks.prune_task_results": "SUCCESSFUL",
                    "gridgov.accounts.tasks.prune_sign_in_sessions": "SUCCESSFUL",
                    "gridgov.geo.tasks.locator_build": "SUCCESSFUL",
                    "gridgov.desk.tasks.concerns_escalate": "SUCCESSFUL", "gridgov.desk.tasks.escalate": "SUCCESSFUL",
                    "gridgov.desk.tasks.permits_daily": "SUCCESSFUL",
                    "gridgov.prevention.tasks.inspections_expire": "SUCCESSFUL"}


@pytest.mark.django_db
def test_export_then_import_grids_round_trip(tmp_path, capsys, roles):
    from gridgov.demo.geo import load_demo_city
    from gridgov.geo.models import Grid

    load_demo_city(scale="tiny", seed=1)
    out = tmp_path / "grids.geojson"
    assert cli.main(["export-grids", "--prefix", "310101001", "-o", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["features"] and all(f["properties"]["code"].startswith("310101001") for f in data["features"])
    capsys.readouterr()
    assert cli.main(["import-grids", str(out), "--dry-run"]) == 0
    assert f"将新增 0 个、更新 {len(data['features'])} 个网格" in capsys.readouterr().out  # (zh-hans, the default)
    count = Grid.objects.count()
    data["features"][0]["properties"]["code"] = "310101999999001"
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(data), encoding="utf-8")
    assert cli.main(["import-grids", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "第 0 个要素：properties.code" in err and "未写入任何数据" in err
    assert Grid.objects.count() == count


def test_unreadable_file_is_a_clear_error(tmp_path, capsys, db):
    missing = tmp_path / "nope.geojson"
    assert cli.main(["import-grids", str(missing)]) == 2
    assert "nope.geojson：无法读取 GeoJSON" in capsys.readouterr().err


@pytest.mark.django_db
def test_each_command_run_has_its_own_request_id_for_the_audit(capsys):
    from gridgov.core.models import AuditEvent

    assert cli.main(["open311-key", "create", "kiosk", "--per-hour", "5"]) == 0
    raw = capsys.readouterr().out.strip()
    assert raw and "(Open311 api_key 'kiosk'" not in raw  # the key alone on stdout; the note on stderr
    assert cli.main(["open311-key", "revoke", "999999"]) == 2
    assert "error: 没有编号为 999999 的在用密钥" in capsys.readouterr().err
    created = AuditEvent.objects.get(object_type="open311_key", action="CREATE")
    assert created.channel == "cli" and created.request_id.startswith("cli-")
    assert cli.main(["open311-key", "revoke", created.object_id]) == 0
    revoked = AuditEvent.objects.get(object_type="open311_key", action="DELETE")
    assert revoked.channel == "cli" and revoked.request_id.startswith("cli-")
    assert revoked.request_id != created.request_id


@pytest.mark.django_db
def test_migrate_seeds_the_roles(capsys):
    from gridgov.accounts.models import Membership, Role

    Membership.objects.all().delete()
    Role.objects.all().delete()
    assert cli.main(["migrate", "-v", "0"]) == 0
    assert {"city_admin", "street_centre", "grid_worker", "auditor"} <= set(Role.objects.values_list("code", flat=True))


def test_check_deploy_fails_on_a_warning_plain_check_does_not(capsys, db, monkeypatch):
    # the test settings are development ones: no HSTS, no secure cookies -> deploy warnings
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)  # set by the browser tests' conftest
    assert cli.main(["check"]) == 0
    assert cli.main(["check", "--deploy"]) == 1
    assert "security.W" in capsys.readouterr().err
    assert cli.main(["check", "--deploy", "--fail-level", "ERROR"]) == 0


def test_usage_errors_and_unknown_commands_exit_2(capsys, db):
    assert cli.main(["import-grids"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: gridgov import-grids") and "the following arguments are required: file" in err
    assert cli.main(["no-such-command"]) == 2
    assert "unknown command 'no-such-command'" in capsys.readouterr().err
    assert cli.main(["--help"]) == 0
    listed = capsys.readouterr().out
    for name in ("demo", "serve", "worker", "migrate", "createadmin", "check", "import-grids", "export-grids",
                 "import-persons", "import-houses", "import-orgs", "reindex-identity", "escalate", "open311-key",
                 "care-jobs", "care-deidentify", "detect", "safety-scan", "manage"):
        assert f"\n  {name} " in listed, name
