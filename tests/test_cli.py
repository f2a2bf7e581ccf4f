"""The `gridgov` command: worker jobs, grid import/export through the CLI, and bad input."""

import json

import pytest

from gridgov import cli


@pytest.mark.django_db(transaction=True)  # the worker runs in-process: its own transactions, as in production
def test_worker_once_runs_every_job(capsys, roles):
    from django_tasks_db.models import DBTaskResult

    assert cli.main(["worker", "--once"]) == 0
    out = capsys.readouterr().out
    for name in ("cases escalation", "care daily jobs", "safety weekly scan", "task results pruning"):
        assert f" {name}: " in out
    done = dict(DBTaskResult.objects.values_list("task_path", "status"))
    assert done == {"gridgov.cases.tasks.escalate": "SUCCESSFUL", "gridgov.care.tasks.daily_jobs": "SUCCESSFUL",
                    "gridgov.safety.tasks.weekly_scan": "SUCCESSFUL",
                    "gridgov.core.tasks.prune_task_results": "SUCCESSFUL"}


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
    assert f"would write 0 new and {len(data['features'])} updated grids" in capsys.readouterr().out
    count = Grid.objects.count()
    data["features"][0]["properties"]["code"] = "310101999999001"
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(data), encoding="utf-8")
    assert cli.main(["import-grids", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "feature 0: properties.code" in err and "nothing was written" in err
    assert Grid.objects.count() == count


def test_unreadable_file_is_a_clear_error(tmp_path, capsys, db):
    missing = tmp_path / "nope.geojson"
    assert cli.main(["import-grids", str(missing)]) == 2
    assert "nope.geojson: cannot read GeoJSON" in capsys.readouterr().err
