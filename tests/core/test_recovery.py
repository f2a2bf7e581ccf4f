"""`gridgov backup` / `gridgov restore` (issue 15, "Recovery"), on the engine the suite runs on.

A small data set (cases with their timeline, persons, a photo, audit rows) is backed up from the
test database; the archive is restored by a separate `gridgov restore` process into a fresh
database (a second SQLite file; a second PostgreSQL database) and media folder. The restored
database is then read with the engine's own driver (sqlite3 / psycopg), not with gridgov: the row
count of every table equals the count taken from the source through the ORM before the backup,
sampled tables are equal row by row and field by field, the photo's bytes are the source's, and
`gridgov audit verify` on the target finds the chain intact with the restore's own audit row at the
end. Tampered archives (a row count changed in the manifest, a media file left out, another engine
named) are refused with a message naming the problem, and nothing is written.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import tarfile
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

from gridgov.core.idnumber import make_identity_number
from tests.cases.images import image

pytestmark = pytest.mark.django_db(transaction=True)

GRIDGOV = str(Path(sys.executable).with_name("gridgov"))
SAMPLED = ("cases_case", "cases_caseevent", "cases_attachment", "registry_person", "core_auditevent",
           "accounts_user")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dataset(make_user, settings, tmp_path):
    """Two cases (one accepted, so with a longer timeline), a photo on one, two persons."""
    from gridgov.cases import services as cases
    from gridgov.demo.geo import load_demo_city
    from gridgov.geo.models import Grid
    from gridgov.registry import services as registry

    settings.MEDIA_ROOT = tmp_path / "source-media"
    load_demo_city(scale="tiny", seed=1)
    cases.taxonomy_sync()
    grid = Grid.objects.order_by("code").values_list("code", flat=True).first()
    worker = make_user("wangwu", ("grid_worker", grid))
    centre = make_user("centre", ("district_centre", grid[:6]))
    first, _ = cases.case_report(actor=worker, category_code="E0102", description="路口暴露垃圾，气味很大",
                                 grid_code=grid, address="南京东路100号")
    second, _ = cases.case_report(actor=worker, category_code="E0101", description="道路破损", grid_code=grid)
    cases.case_transition(actor=centre, case_id=first.pk, action="accept", note="已受理")
    photo = cases.attachment_add(actor=worker, case_id=second.pk, data=image("PNG", (40, 30)))
    for seq, name in ((1, "张三"), (2, "李四")):
        registry.person_register(actor=None, grid_code=grid, data={
            "identity_number": make_identity_number("310101", date(1980 + seq, 3, 9), seq), "name": name,
            "population_type": "01", "phone": f"1391234567{seq}", "ethnicity": "01"})
    return {"media": settings.MEDIA_ROOT, "photo": photo}


def source_counts() -> dict[str, int]:
    """Rows per table of the source, through the ORM (every model and every many-to-many table)."""
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.db_table] = model._default_manager.count()
    counts["django_migrations"] = _raw_source("SELECT count(*) FROM django_migrations")[0][0]
    return counts


def _raw_source(sql: str) -> list[tuple]:
    if connection.vendor == "sqlite":  # the test database (in memory, shared cache) by a plain driver connection
        import sqlite3

        connection.ensure_connection()
        name = connection.settings_dict["NAME"]
        raw = sqlite3.connect(name, uri=str(name).startswith("file:"))
        try:
            return [tuple(r) for r in raw.execute(sql).fetchall()]
        finally:
            raw.close()
    import psycopg

    with psycopg.connect(**_pg_params(connection.settings_dict["NAME"])) as raw:
        return [tuple(r) for r in raw.execute(sql).fetchall()]


def _pg_params(name: str) -> dict:
    s = connection.settings_dict
    return {"host": s["HOST"] or "127.0.0.1", "port": s["PORT"] or 5432, "user": s["USER"],
            "password": s["PASSWORD"] or None, "dbname": name}


class Target:
    """A fresh database and VAR_DIR for `gridgov restore` in another process, read back raw."""

    def __init__(self, tmp_path: Path, name: str):
        self.var = tmp_path / name
        self.var.mkdir()
        if connection.vendor == "sqlite":
            self.url = f"sqlite:///{self.var / 'gridgov.sqlite3'}"
        else:
            import psycopg

            self.dbname = f"{connection.settings_dict['NAME']}_{name}"[:63]
            with psycopg.connect(**_pg_params("postgres"), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{self.dbname}"')
            p = _pg_params(self.dbname)
            self.url = f"postgres://{p['user']}@{p['host']}:{p['port']}/{self.dbname}"

    def gridgov(self, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "GRIDGOV_DATABASE_URL": self.url, "GRIDGOV_VAR_DIR": str(self.var),
               "GRIDGOV_ENV": "development", "DJANGO_SETTINGS_MODULE": "gridgov.settings"}
        env.pop("PYTEST_XDIST_WORKER", None)
        return subprocess.run([GRIDGOV, *args], env=env, capture_output=True, text=True, timeout=300)

    def rows(self, sql: str) -> list[tuple]:
        if connection.vendor == "sqlite":
            import sqlite3

            con = sqlite3.connect(self.var / "gridgov.sqlite3")
            try:
                return [tuple(r) for r in con.execute(sql).fetchall()]
            finally:
                con.close()
        import psycopg

        with psycopg.connect(**_pg_params(self.dbname)) as raw:
            return [tuple(r) for r in raw.execute(sql).fetchall()]

    def tables(self) -> list[str]:
        if connection.vendor == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        else:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        return sorted(r[0] for r in self.rows(sql))

    def drop(self) -> None:
        if connection.vendor == "postgresql":
            import psycopg

            with psycopg.connect(**_pg_params("postgres"), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')


@pytest.fixture
def target(tmp_path):
    made = []

    def _make(name="restored"):
        t = Target(tmp_path, name)
        made.append(t)
        return t

    yield _make
    for t in made:
        t.drop()


def run_backup(tmp_path) -> Path:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path / "backups"), stdout=out)
    archives = sorted((tmp_path / "backups").glob("gridgov-backup-*.tar"))
    assert len(archives) == 1, out.getvalue()
    assert f"备份已写入：{archives[0]}" in out.getvalue()  # the default language, zh-hans
    return archives[0]


def rewrite(archive: Path, dest: Path, *, manifest=None, drop: str | None = None) -> Path:
    """A copy of ``archive`` with the manifest changed by ``manifest(m)`` or a member left out."""
    with tarfile.open(archive) as src, tarfile.open(dest, "w") as out:
        for member in src.getmembers():
            if member.name == drop:
                continue
            data = src.extractfile(member).read()
            if member.name == "manifest.json" and manifest is not None:
                m = json.loads(data)
                manifest(m)
                data = json.dumps(m).encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return dest


def test_backup_restores_into_a_fresh_database_with_counts_chain_records_and_media(dataset, tmp_path, target):
    from gridgov.core.models import AuditEvent

    expected_counts = source_counts()
    assert expected_counts["cases_case"] == 2 and expected_counts["registry_person"] == 2
    assert expected_counts["cases_caseevent"] >= 3 and expected_counts["core_auditevent"] >= 5
    samples = {t: _raw_source(f"SELECT * FROM {t} ORDER BY id") for t in SAMPLED}
    photo_path = dataset["media"] / dataset["photo"].path
    photo_bytes = photo_path.read_bytes()
    audit_before = AuditEvent.objects.count()

    archive = run_backup(tmp_path)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert stat.S_IMODE(archive.parent.stat().st_mode) == 0o700
    # the backup is audited in the source, after the snapshot it took
    last = AuditEvent.objects.order_by("-id").first()
    assert (last.action, last.object_type, last.object_id) == ("EXPORT", "system.backup", archive.name)
    assert AuditEvent.objects.count() == audit_before + 1

    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        names = set(tar.getnames())
    assert manifest["engine"] == connection.vendor and manifest["format_version"] == 1
    assert manifest["gridgov_version"] == "0.1.0"
    assert manifest["audit_rows"] == audit_before
    assert ["core", "0003_harden_audit_chain"] in manifest["migrations"]
    assert manifest["row_counts"] == expected_counts
    assert "media/" + dataset["photo"].path in names

    t = target()
    done = t.gridgov("restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert f"全部 {len(manifest['row_counts'])} 张表的行数与清单一致" in done.stdout
    assert f"审计链完整：共 {audit_before} 行，链头与清单一致" in done.stdout

    # read back with the engine's own driver: every table's count, sampled rows field by field
    restored = {name: t.rows(f"SELECT count(*) FROM {name}")[0][0] for name in t.tables()}
    expected_counts["core_auditevent"] += 1  # the restore's own audit row
    assert {k: restored[k] for k in expected_counts} == expected_counts
    assert set(restored) == set(manifest["row_counts"])
    for table in SAMPLED:
        got = t.rows(f"SELECT * FROM {table} ORDER BY id")
        if table == "core_auditevent":
            last_row = got.pop()
            assert "IMPORT" in last_row and "system.restore" in last_row and archive.name in last_row
        assert len(got) == len(samples[table]), table
        for restored_row, source_row in zip(got, samples[table], strict=True):
            assert restored_row == source_row, (table, [(i, a, b) for i, (a, b) in
                                                        enumerate(zip(restored_row, source_row, strict=True)) if a != b])
    names = [r[0] for r in t.rows("SELECT name FROM registry_person ORDER BY id")]
    assert names == ["张三", "李四"]
    # the photo: same bytes, private mode
    restored_photo = t.var / "media" / dataset["photo"].path
    assert restored_photo.read_bytes() == photo_bytes
    assert stat.S_IMODE(restored_photo.stat().st_mode) == 0o600
    # the chain on the target, restore row included, by the audit command
    verify = t.gridgov("audit", "verify")
    assert verify.returncode == 0 and f"审计链完整：共 {audit_before + 1} 行" in verify.stdout

    # a second restore into the now non-empty target: refused, then replaced with --force
    again = t.gridgov("restore", str(archive))
    assert again.returncode == 1 and "恢复目标不是空的" in again.stderr and "--force" in again.stderr
    forced = t.gridgov("restore", "--force", str(archive))
    assert forced.returncode == 0, forced.stderr
    assert t.rows("SELECT count(*) FROM core_auditevent")[0][0] == audit_before + 1
    assert t.rows("SELECT count(*) FROM cases_case")[0][0] == 2


def test_tampered_archives_are_refused_and_nothing_is_written(dataset, tmp_path, target):
    archive = run_backup(tmp_path)
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    cases = manifest["row_counts"]["cases_case"]
    assert cases == 2

    def more_cases(m):
        m["row_counts"]["cases_case"] += 1

    t = target("tampered")
    done = t.gridgov("restore", str(rewrite(archive, tmp_path / "counts.tar", manifest=more_cases)))
    assert done.returncode == 1
    assert ("归档与其清单不符：表 cases_case 在归档的数据库中有 2 行，清单记载为 3 行；未恢复任何内容"
            in done.stderr)
    assert t.tables() == []  # nothing restored (PostgreSQL: the one transaction rolled back)

    photo = "media/" + dataset["photo"].path
    done = t.gridgov("restore", str(rewrite(archive, tmp_path / "nophoto.tar", drop=photo)))
    assert done.returncode == 1
    assert f"清单列出的媒体文件“{dataset['photo'].path}”在归档中缺失" in done.stderr
    assert t.tables() == [] and not (t.var / "media").exists()

    def other_engine(m):
        m["engine"] = "postgresql" if m["engine"] == "sqlite" else "sqlite"

    done = t.gridgov("restore", str(rewrite(archive, tmp_path / "engine.tar", manifest=other_engine)))
    assert done.returncode == 1
    ours, theirs = ("SQLite", "PostgreSQL") if connection.vendor == "sqlite" else ("PostgreSQL", "SQLite")
    assert f"该归档保存的是 {theirs} 数据库，而本系统使用 {ours}" in done.stderr
    assert t.tables() == []

    # a damaged database member: its checksum no longer matches
    def bad_checksum(m):
        m["database"]["sha256"] = "0" * 64

    done = t.gridgov("restore", str(rewrite(archive, tmp_path / "sum.tar", manifest=bad_checksum)))
    assert done.returncode == 1 and "与清单中的 SHA-256 校验和不符" in done.stderr
    assert t.tables() == []


def test_refusals_before_anything_is_read(db, tmp_path):
    from gridgov.core import recovery

    bogus = tmp_path / "x.tar"
    with tarfile.open(bogus, "w") as tar:
        data = b"{}"
        info = tarfile.TarInfo("notes.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(recovery.RecoveryError, match="not a gridgov backup: manifest.json is missing"):
        recovery.restore(archive=bogus)
    (tmp_path / "plain.txt").write_text("hello")
    with pytest.raises(recovery.RecoveryError, match="not a tar archive"):
        recovery.restore(archive=tmp_path / "plain.txt")
    with pytest.raises(recovery.RecoveryError, match="no such file"):
        recovery.restore(archive=tmp_path / "missing.tar")


def test_a_media_path_leaving_the_folder_is_refused(db, tmp_path):
    from gridgov.core import recovery

    manifest = {"format": "gridgov-backup", "format_version": 1, "engine": connection.vendor, "created_at": "x",
                "database": {"member": "d", "size": 1, "sha256": "0" * 64}, "row_counts": {}, "migrations": [],
                "media": [{"path": "../../etc/cron.d/x", "size": 1, "sha256": "1" * 64}]}
    bogus = tmp_path / "escape.tar"
    with tarfile.open(bogus, "w") as tar:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(recovery.RecoveryError, match="leaves the media folder"):
        recovery.restore(archive=bogus)


from tests.cases.conftest import threaded_db  # noqa: E402,F401  (a file database on SQLite, for threads)


def test_a_backup_taken_during_writes_is_one_consistent_snapshot(threaded_db, tmp_path, target, settings):  # noqa: F811
    """Audit rows are written by another thread, each in its own transaction, while the backup
    runs: the manifest's counts and chain head must describe exactly the copied database (a count
    read apart from the copy would not), so the restore verifies, and the restored chain is whole."""
    import threading

    from django.db import connections, transaction

    from gridgov.core.audit import audit_write
    from gridgov.core.models import AuditEvent

    settings.MEDIA_ROOT = tmp_path / "media"
    for i in range(20):
        with transaction.atomic():
            audit_write("READ", object_type="person", object_id=i)
    stop = threading.Event()
    written = []

    def writer():
        try:
            i = 0
            while not stop.is_set():
                with transaction.atomic():
                    audit_write("READ", object_type="person", object_id=1000 + i, changes={"q": "张"})
                written.append(i)
                i += 1
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:  # the writer is under way
            stop.wait(0.05)
        archive = run_backup(tmp_path)
        after = len(written)
    finally:
        stop.set()
        thread.join()
    assert after > 5 and len(written) > 5
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    total = AuditEvent.objects.count()
    # the snapshot holds some, not all, of the rows written meanwhile (+1: the backup's own row, after it)
    assert 20 < manifest["audit_rows"] < total
    t = target("during")
    done = t.gridgov("restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert f"审计链完整：共 {manifest['audit_rows']} 行" in done.stdout
    assert t.rows("SELECT count(*) FROM core_auditevent")[0][0] == manifest["audit_rows"] + 1


def test_a_missing_postgresql_client_tool_is_named(monkeypatch):
    from gridgov.core import recovery

    monkeypatch.setenv("PATH", "")
    with pytest.raises(recovery.RecoveryError, match=r"pg_dump not found on PATH: install the PostgreSQL client tools"):
        recovery._tool("pg_dump")


def test_an_archive_of_a_newer_gridgov_is_refused_before_anything_is_written(roles, tmp_path, settings):
    from gridgov.core import recovery
    from gridgov.core.models import AuditEvent

    settings.MEDIA_ROOT = tmp_path / "media"
    archive = run_backup(tmp_path)

    def newer(m):
        m["migrations"].append(["cases", "9001_from_the_future"])
        m["gridgov_version"] = "9.0.0"

    rows = AuditEvent.objects.count()
    with pytest.raises(recovery.RecoveryError) as exc:
        recovery.restore(archive=rewrite(archive, tmp_path / "newer.tar", manifest=newer), force=True)
    assert str(exc.value) == ("the archive was made by a newer gridgov (9.0.0): 1 migration(s) unknown to this "
                              "version (cases.9001_from_the_future); restore it with that version or newer")
    assert AuditEvent.objects.count() == rows  # not even an audit row: nothing was restored
    from django.utils import translation

    from gridgov.core.i18n import text_of

    with translation.override("zh-hans"):
        assert text_of(exc.value) == ("该归档由较新的 gridgov（9.0.0）生成：有 1 个迁移是本版本未知的"
                                      "（cases.9001_from_the_future）；请用该版本或更新的版本恢复")


def test_the_failed_postgresql_check_is_read_back_into_a_translatable_phrase():
    """The PL/pgSQL checks raise English text (psql's stderr); the restore names the failed check in
    the operator's language, and an unknown text is passed on as it is."""
    from django.utils import translation

    from gridgov.core import recovery
    from gridgov.core.i18n import text_of

    def refusal(raised: str) -> recovery.RecoveryError:
        return recovery.RecoveryError("the archive does not match its manifest: %(problem)s; nothing was restored",
                                      params={"problem": recovery._pg_problem(raised)})

    rows = refusal("table cases_case has 2 rows in the archive's database, the manifest says 3")
    tables = refusal("the archive's database has 59 tables, the manifest lists 60")
    other = refusal("something else")
    assert str(rows) == ("the archive does not match its manifest: table cases_case has 2 rows in the archive's "
                         "database, the manifest says 3; nothing was restored")
    with translation.override("zh-hans"):
        assert text_of(rows) == "归档与其清单不符：表 cases_case 在归档的数据库中有 2 行，清单记载为 3 行；未恢复任何内容"
        assert text_of(tables) == "归档与其清单不符：归档的数据库中有 59 张表，清单列出 60 张；未恢复任何内容"
        assert text_of(other) == "归档与其清单不符：something else；未恢复任何内容"


def test_a_non_empty_target_is_refused_in_the_operators_language(db, tmp_path, settings):
    from django.utils import translation

    from gridgov.core import recovery
    from gridgov.core.i18n import text_of

    settings.MEDIA_ROOT = tmp_path / "media"
    archive = run_backup(tmp_path)
    with pytest.raises(recovery.RecoveryError) as exc:
        recovery.restore(archive=archive)
    with translation.override("zh-hans"):
        text = text_of(exc.value)
    assert text.startswith("恢复目标不是空的（数据库中有 ") and "张表，例如 " in text
    assert text.endswith("；媒体文件 0 个）：请恢复到空的数据库和媒体文件夹，或加 --force 替换现有内容")
