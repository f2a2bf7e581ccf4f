"""Backup and restore of an installation: the database and the media files in one tar archive
(`gridgov backup`, `gridgov restore`; docs/deployment.md, "Backup and restore").

DATABASE-SPECIFIC SQL lives here (a marked adapter, like core/db_adapter.py): SQLite is copied with
its online backup API (``sqlite3.Connection.backup``: a consistent copy while the server runs);
PostgreSQL with ``pg_dump --format=custom`` under a snapshot exported from a REPEATABLE READ
transaction, in which the manifest's row counts are taken too (so they describe exactly the dump),
and restored with ``pg_restore`` piped into ``psql --single-transaction``, the manifest's checks
appended to the same transaction: a restore that does not match its manifest changes nothing.

The archive (mode 0600: it holds identity numbers) is a plain tar:

    database.sqlite3 | database.pgdump    the database
    media/<path>                          every file under MEDIA_ROOT
    manifest.json                         format version, engine, migrations, row counts per table,
                                          created at, gridgov version, the audit chain's head and
                                          the SHA-256 and size of every other member

``restore`` checks the manifest and every member before it touches the target; refuses an engine
mismatch, an archive from a newer gridgov (migrations unknown here) and a non-empty target without
``force``; after restoring it counts the rows of every table again and walks the audit hash chain
(``gridgov audit verify``), then writes its own audit row into the restored database.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

import gridgov
from gridgov.core import auditchain
from gridgov.core.errors import GridgovError, Phrase

FORMAT = "gridgov-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
MEDIA_PREFIX = "media/"
AUDIT_TABLE = "core_auditevent"
_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_CHUNK = 1 << 20
#: the manifest's value types, as the refusal names them
KIND_NAMES = {str: "a string", dict: "an object", list: "a list"}
#: why a row breaks the audit chain (core/auditchain.py's problem codes); `gridgov audit verify` too
AUDIT_PROBLEMS = {
    "previous": "its previous-row hash does not match the row before it (a row before it was deleted, "
                "inserted or rewritten)",
    "content": "its content does not match its hash (the row was edited)",
}


class RecoveryError(GridgovError):
    """A refusal or failure, with the message the operator reads (what, where, what to do): an
    English template with ``params`` (``Phrase`` parts too), shown translated by the commands
    (core.i18n.text_of); ``str()`` is the English text."""

    code = "recovery_failed"


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]


@dataclass
class RestoreReport:
    engine: str
    tables: int
    rows: int
    audit_rows: int
    media_files: int
    created_at: str
    pending_migrations: list[str] = field(default_factory=list)
    audit_break: Phrase | None = None  # the first broken link of the audit chain (None when intact)


# ----------------------------------------------------------------------------- small helpers

def _db(alias: str = DEFAULT_DB_ALIAS):
    return connections[alias]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _quote(name: str) -> str:
    if not _TABLE_NAME.fullmatch(name):
        raise RecoveryError("the manifest names an invalid table \"%(table)s\"", params={"table": name})
    return '"' + name + '"'


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise RecoveryError("%(tool)s not found on PATH: install the PostgreSQL client tools "
                            "(Debian: apt-get install postgresql-client) in the version of the server or newer",
                            params={"tool": name})
    return found


def _pg_env(conn) -> dict[str, str]:
    """The libpq environment of the connection's settings (no password on a command line)."""
    s = conn.settings_dict
    env = dict(os.environ)
    for key, var in (("NAME", "PGDATABASE"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"),
                     ("HOST", "PGHOST"), ("PORT", "PGPORT")):
        if s.get(key):
            env[var] = str(s[key])
    for key, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT"),
                     ("sslkey", "PGSSLKEY"), ("service", "PGSERVICE")):
        if (s.get("OPTIONS") or {}).get(key):
            env[var] = str(s["OPTIONS"][key])
    return env


def media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(posix path relative to ``root``, file) of every regular file under the media folder."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path.relative_to(root).as_posix(), path


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _known_migrations() -> set[tuple[str, str]]:
    from django.db.migrations.loader import MigrationLoader

    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


# ----------------------------------------------------------------------------- snapshots

def _sqlite_snapshot_info(path: Path) -> dict[str, Any]:
    """Tables with their row counts, migrations and the audit chain head of a SQLite file."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        counts = {t: con.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0] for t in tables}
        return _info(counts, lambda sql: con.execute(sql).fetchall())
    finally:
        con.close()


def _info(counts: dict[str, int], query) -> dict[str, Any]:
    migrations = [list(r) for r in query("SELECT app, name FROM django_migrations ORDER BY id")] \
        if "django_migrations" in counts else []
    head = None
    if AUDIT_TABLE in counts:
        rows = query(f"SELECT row_hash FROM {AUDIT_TABLE} ORDER BY id DESC LIMIT 1")
        head = rows[0][0] if rows else None
    return {"row_counts": counts, "migrations": migrations, "audit_chain_head": head,
            "audit_rows": counts.get(AUDIT_TABLE, 0)}


def _sqlite_dump(conn, target: Path) -> dict[str, Any]:
    """The online backup API: the live database (file or the tests' in-memory one) copied page by
    page under one read lock, so the copy is a consistent snapshot while writers carry on."""
    conn.ensure_connection()
    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    dst = sqlite3.connect(target)
    try:
        conn.connection.backup(dst)
    finally:
        dst.close()
    return _sqlite_snapshot_info(target)


def _pg_dump(conn, target: Path) -> dict[str, Any]:
    """``pg_dump --format=custom --snapshot``: the dump and the row counts read one snapshot."""
    pg_dump = _tool("pg_dump")
    raw = conn.get_new_connection(conn.get_connection_params())
    try:
        raw.rollback()  # whatever the new connection began: the snapshot's transaction must be first
        raw.autocommit = False
        with raw.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            cur.execute("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            tables = [r[0] for r in cur.fetchall()]
            counts = {}
            for t in tables:
                cur.execute(f"SELECT count(*) FROM public.{_quote(t)}")
                counts[t] = cur.fetchone()[0]

            def query(sql: str) -> list:
                cur.execute(sql)
                return cur.fetchall()

            info = _info(counts, query)
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            done = subprocess.run([pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password",
                                   f"--file={target}"], env=_pg_env(conn), capture_output=True, text=True)
            if done.returncode != 0:
                raise RecoveryError("pg_dump failed (exit %(code)s): %(output)s",
                                    params={"code": done.returncode, "output": done.stderr.strip()})
        raw.rollback()
    finally:
        raw.close()
    return info


# ----------------------------------------------------------------------------- backup

def backup(*, output_dir: Path, alias: str = DEFAULT_DB_ALIAS) -> BackupResult:
    """Write ``gridgov-backup-<UTC time>.tar`` (0600) into ``output_dir`` (created 0700) and an audit
    row (EXPORT of ``system.backup``) into the database. The server may keep running."""
    conn = _db(alias)
    vendor = conn.vendor
    if vendor not in DATABASE_MEMBER:
        raise RecoveryError("backup supports SQLite and PostgreSQL, not %(vendor)s", params={"vendor": vendor})
    output_dir = _private_dir(Path(output_dir).resolve())
    created = datetime.now(UTC)
    name = f"gridgov-backup-{created.strftime('%Y%m%dT%H%M%S%fZ')}.tar"
    final = output_dir / name
    work = Path(tempfile.mkdtemp(prefix=".gridgov-backup-", dir=output_dir))
    try:
        db_file = work / DATABASE_MEMBER[vendor]
        info = _sqlite_dump(conn, db_file) if vendor == "sqlite" else _pg_dump(conn, db_file)
        manifest: dict[str, Any] = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "created_at": created.isoformat(),
            "gridgov_version": gridgov.__version__, "engine": vendor,
            "database": {"member": DATABASE_MEMBER[vendor], "size": db_file.stat().st_size,
                         "sha256": _sha256_file(db_file)},
            **info, "media": [],
        }
        partial = work / (name + ".part")
        fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.add(db_file, arcname=DATABASE_MEMBER[vendor], recursive=False, filter=_plain)
            for rel, path in media_files(_media_root()):
                try:
                    data = path.read_bytes()  # photos: at most 10 MB each; read once, hashed and stored alike
                except FileNotFoundError:  # removed since the listing (an upload rolled back): not in the backup
                    continue
                info_ = tarfile.TarInfo(MEDIA_PREFIX + rel)
                info_.size, info_.mode, info_.mtime = len(data), 0o600, int(path.stat().st_mtime)
                tar.addfile(info_, io.BytesIO(data))
                manifest["media"].append({"path": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
            raw = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
            info_ = tarfile.TarInfo(MANIFEST)
            info_.size, info_.mode, info_.mtime = len(raw), 0o600, int(created.timestamp())
            tar.addfile(info_, io.BytesIO(raw))
        os.replace(partial, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _audit("EXPORT", "system.backup", name, {
        "engine": vendor, "tables": len(manifest["row_counts"]), "rows": sum(manifest["row_counts"].values()),
        "media_files": len(manifest["media"]), "archive_sha256": _sha256_file(final),
        "audit_chain_head": manifest["audit_chain_head"]}, alias)
    return BackupResult(final, manifest)


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


def _audit(action: str, object_type: str, object_id: str, changes: dict, alias: str) -> None:
    from gridgov.core.audit import audit_write

    with transaction.atomic(using=alias):
        audit_write(action, object_type=object_type, object_id=object_id, changes=changes)


# ----------------------------------------------------------------------------- restore: checks

def read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise RecoveryError("not a gridgov backup: %(manifest)s is missing from the archive",
                            params={"manifest": MANIFEST}) from None
    fh = tar.extractfile(member)
    if fh is None:
        raise RecoveryError("not a gridgov backup: %(manifest)s is not a file", params={"manifest": MANIFEST})
    try:
        manifest = json.loads(fh.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecoveryError("%(manifest)s is not valid JSON (%(problem)s)",
                            params={"manifest": MANIFEST, "problem": str(exc)}) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RecoveryError("not a gridgov backup: %(manifest)s does not say format \"%(format)s\"",
                            params={"manifest": MANIFEST, "format": FORMAT})
    if manifest.get("format_version") != FORMAT_VERSION:
        raise RecoveryError("archive format version %(found)s is not supported "
                            "(this gridgov %(version)s reads version %(supported)s)",
                            params={"found": repr(manifest.get("format_version")), "version": gridgov.__version__,
                                    "supported": FORMAT_VERSION})
    for key, kind in (("engine", str), ("database", dict), ("row_counts", dict), ("migrations", list),
                      ("media", list), ("created_at", str)):
        if not isinstance(manifest.get(key), kind):
            raise RecoveryError("%(manifest)s: \"%(key)s\" is missing or not %(kind)s",
                                params={"manifest": MANIFEST, "key": key, "kind": Phrase(KIND_NAMES[kind])})
    _hex_digest(manifest["database"].get("sha256"), Phrase("the database"))
    for entry in manifest["media"]:
        if isinstance(entry, dict):
            _hex_digest(entry.get("sha256"), Phrase("media file \"%(path)s\"", {"path": entry.get("path")}))
    for table, count in manifest["row_counts"].items():
        _quote(table)
        if not isinstance(count, int) or count < 0:
            raise RecoveryError("%(manifest)s: the row count of table %(table)s is not a whole number",
                                params={"manifest": MANIFEST, "table": table})
    return manifest


def _hex_digest(value: Any, what: Phrase) -> None:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise RecoveryError("%(manifest)s: the SHA-256 of %(what)s is missing or not 64 hex digits",
                            params={"manifest": MANIFEST, "what": what})


def _safe_media_path(rel: Any) -> str:
    if not isinstance(rel, str) or not rel:
        raise RecoveryError("%(manifest)s: a media entry has no path", params={"manifest": MANIFEST})
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or "\\" in rel or "\x00" in rel:
        raise RecoveryError("%(manifest)s: the media path \"%(path)s\" leaves the media folder",
                            params={"manifest": MANIFEST, "path": rel})
    return pure.as_posix()


def check_members(tar: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    """Every member the manifest lists is in the archive as a regular file of the listed size, and
    nothing else is (no links, no paths outside the media folder)."""
    engine = manifest["engine"]
    expected = {MANIFEST: None, DATABASE_MEMBER[engine]: manifest["database"].get("size")}
    for entry in manifest["media"]:
        if not isinstance(entry, dict):
            raise RecoveryError("%(manifest)s: a media entry is not an object", params={"manifest": MANIFEST})
        expected[MEDIA_PREFIX + _safe_media_path(entry.get("path"))] = entry.get("size")
    present = {}
    for member in tar.getmembers():
        if member.name not in expected:
            raise RecoveryError("the archive holds \"%(member)s\", which the manifest does not list",
                                params={"member": member.name})
        if not member.isfile():
            raise RecoveryError("the archive member \"%(member)s\" is not a regular file", params={"member": member.name})
        present[member.name] = member
    for name, size in expected.items():
        if name not in present:
            what = (Phrase("media file \"%(path)s\"", {"path": name[len(MEDIA_PREFIX):]})
                    if name.startswith(MEDIA_PREFIX) else Phrase("\"%(path)s\"", {"path": name}))
            raise RecoveryError("%(what)s listed in the manifest is missing from the archive", params={"what": what})
        if size is not None and present[name].size != size:
            raise RecoveryError("\"%(member)s\" has %(size)s bytes in the archive, the manifest says %(expected)s",
                                params={"member": name, "size": present[name].size, "expected": size})


def _extract_checked(tar: tarfile.TarFile, name: str, target: Path, sha256: str) -> None:
    fh = tar.extractfile(name)
    assert fh is not None  # check_members: a regular file
    digest = hashlib.sha256()
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        raise RecoveryError("\"%(member)s\" does not match its SHA-256 in the manifest (the archive is damaged or "
                            "altered)", params={"member": name})


def _check_migrations(manifest: dict[str, Any]) -> list[str]:
    """Refuse an archive from a newer gridgov; the migrations it lacks (run `gridgov migrate` after)."""
    archived = {(str(a), str(n)) for a, n in manifest["migrations"]}
    known = _known_migrations()
    unknown = sorted(archived - known)
    if unknown:
        listed = ", ".join(f"{a}.{n}" for a, n in unknown[:5])
        raise RecoveryError("the archive was made by a newer gridgov (%(version)s): %(n)s migration(s) unknown "
                            "to this version (%(migrations)s); restore it with that version or newer",
                            params={"version": manifest.get("gridgov_version"), "n": len(unknown),
                                    "migrations": listed})
    return sorted(f"{a}.{n}" for a, n in known - archived)


def _counts_mismatch(expected: dict[str, int], actual: dict[str, int]) -> Phrase | None:
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            return Phrase("table %(table)s listed in the manifest is not in the archive's database", {"table": table})
        if table not in expected:
            return Phrase("the archive's database has table %(table)s, which the manifest does not list",
                          {"table": table})
        if actual[table] != expected[table]:
            return Phrase("table %(table)s has %(rows)s rows in the archive's database, the manifest says "
                          "%(expected)s", {"table": table, "rows": actual[table], "expected": expected[table]})
    return None


def _tables(conn) -> list[str]:
    """The tables a backup holds: SQLite's own (``sqlite_*``) left out; PostgreSQL's schema public."""
    with conn.cursor() as cur:
        if conn.vendor == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                        "ORDER BY name")
        else:
            cur.execute("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        return [r[0] for r in cur.fetchall()]


def target_contents(alias: str = DEFAULT_DB_ALIAS) -> tuple[list[str], int]:
    """Tables in the target database and the number of files in the media folder."""
    return _tables(_db(alias)), sum(1 for _ in media_files(_media_root()))


# ----------------------------------------------------------------------------- restore

def restore(*, archive: Path, force: bool = False, alias: str = DEFAULT_DB_ALIAS) -> RestoreReport:
    """Restore ``archive`` into the configured database and media folder (stop `serve` and `worker`
    first). Everything is checked before the target is touched; see the module docstring."""
    conn = _db(alias)
    vendor = conn.vendor
    archive = Path(archive)
    if not archive.is_file():
        raise RecoveryError("%(archive)s: no such file", params={"archive": str(archive)})
    try:
        tar = tarfile.open(archive, mode="r:")
    except tarfile.TarError as exc:
        raise RecoveryError("%(archive)s: not a tar archive (%(problem)s)",
                            params={"archive": str(archive), "problem": str(exc)}) from None
    with tar:
        manifest = read_manifest(tar)
        engine = manifest["engine"]
        if engine not in DATABASE_MEMBER:
            raise RecoveryError("%(manifest)s: unknown database engine \"%(engine)s\"",
                                params={"manifest": MANIFEST, "engine": engine})
        if engine != vendor:
            raise RecoveryError(
                "the archive holds a %(theirs)s database but this installation uses %(ours)s "
                "(GRIDGOV_DATABASE_URL); restore it into a %(theirs)s installation (a dump of one engine "
                "cannot be loaded into the other)",
                params={"theirs": ENGINE_NAMES[engine], "ours": ENGINE_NAMES.get(vendor, vendor)})
        check_members(tar, manifest)
        pending = _check_migrations(manifest)
        tables, n_media = target_contents(alias)
        if (tables or n_media) and not force:
            raise RecoveryError(
                "the target is not empty (%(tables)s tables in the database%(examples)s; %(media)s media files): "
                "restore into an empty database and media folder, or pass --force to replace them",
                params={"tables": len(tables), "media": n_media,
                        "examples": Phrase(", e.g. %(names)s", {"names": ", ".join(sorted(tables)[:3])})
                        if tables else ""})
        media_root = _media_root()
        _private_dir(media_root.parent)
        staging = Path(tempfile.mkdtemp(prefix=".gridgov-restore-", dir=media_root.parent))
        try:
            db_file = staging / DATABASE_MEMBER[engine]
            _extract_checked(tar, DATABASE_MEMBER[engine], db_file, manifest["database"]["sha256"])
            new_media = staging / "media"
            new_media.mkdir(mode=0o700)
            for entry in manifest["media"]:
                rel = _safe_media_path(entry["path"])
                _extract_checked(tar, MEDIA_PREFIX + rel, new_media / rel, entry["sha256"])
            if engine == "sqlite":
                _sqlite_restore(conn, db_file, manifest)
            else:
                _pg_restore(conn, db_file, manifest, drop=tables)
            # the media folder: the archive's replaces the old one (renamed, then removed)
            old = staging / "media.old"
            if media_root.exists():
                os.replace(media_root, old)
            os.replace(new_media, media_root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    report = verify_restored(manifest, alias)
    report.pending_migrations = pending
    _audit("IMPORT", "system.restore", archive.name, {
        "engine": engine, "archive_created_at": manifest["created_at"], "tables": report.tables,
        "rows": report.rows, "media_files": report.media_files, "audit_chain_head": manifest.get("audit_chain_head"),
        "audit_chain": "intact" if not report.audit_break else "broken", "pending_migrations": len(pending)}, alias)
    return report


def _sqlite_restore(conn, db_file: Path, manifest: dict[str, Any]) -> None:
    info = _sqlite_snapshot_info(db_file)
    problem = _counts_mismatch(manifest["row_counts"], info["row_counts"])
    if not problem and info["audit_chain_head"] != manifest.get("audit_chain_head"):
        problem = Phrase("the newest audit row's hash in the archive's database is not the manifest's audit "
                         "chain head")
    if problem:
        raise RecoveryError("the archive does not match its manifest: %(problem)s; nothing was restored",
                            params={"problem": problem})
    connections.close_all()
    src = sqlite3.connect(db_file)
    try:
        conn.ensure_connection()
        # the online backup API in reverse: the target's pages replaced in one step under its write lock
        src.backup(conn.connection)
    finally:
        src.close()
        conn.close()


def _pg_checks(manifest: dict[str, Any]) -> str:
    """A PL/pgSQL block run last in the restore's transaction: any difference from the manifest
    raises, and the whole restore (drops included) rolls back."""
    lines = ["DO $gridgov$ DECLARE n bigint; h text; BEGIN"]
    counts = manifest["row_counts"]
    lines.append("SELECT count(*) INTO n FROM pg_catalog.pg_tables WHERE schemaname = 'public';")
    lines.append(f"IF n <> {len(counts)} THEN RAISE EXCEPTION 'gridgov-restore-check: the archive''s database "
                 f"has % tables, the manifest lists {len(counts)}', n; END IF;")
    for table, count in sorted(counts.items()):
        q = _quote(table)
        lines.append(f"SELECT count(*) INTO n FROM public.{q};")
        lines.append(f"IF n <> {int(count)} THEN RAISE EXCEPTION 'gridgov-restore-check: table {table} has % rows "
                     f"in the archive''s database, the manifest says {int(count)}', n; END IF;")
    head = manifest.get("audit_chain_head")
    if AUDIT_TABLE in counts:
        if head is not None and not re.fullmatch(r"[0-9a-f]{64}", str(head)):
            raise RecoveryError("%(manifest)s: audit_chain_head is not a SHA-256 hex digest",
                                params={"manifest": MANIFEST})
        lines.append(f"SELECT row_hash INTO h FROM public.{AUDIT_TABLE} ORDER BY id DESC LIMIT 1;")
        expected = "NULL" if head is None else f"'{head}'"
        lines.append(f"IF h IS DISTINCT FROM {expected} THEN RAISE EXCEPTION 'gridgov-restore-check: the newest "
                     "audit row''s hash in the archive''s database is not the manifest''s audit chain head'; END IF;")
    lines.append("END $gridgov$;")
    return "\n".join(lines) + "\n"


def _pg_restore(conn, db_file: Path, manifest: dict[str, Any], *, drop: list[str]) -> None:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    env = _pg_env(conn)
    connections.close_all()
    prelude = "".join(f"DROP TABLE IF EXISTS public.{_quote(t)} CASCADE;\n" for t in drop)
    if drop:
        prelude += ("DROP FUNCTION IF EXISTS public.gridgov_audit_append_only() CASCADE;\n"
                    "DROP FUNCTION IF EXISTS public.gridgov_audit_no_delete() CASCADE;\n")
    checks = _pg_checks(manifest)
    with tempfile.TemporaryFile() as errors:
        sql = subprocess.Popen([psql, "--no-psqlrc", "--quiet", "--no-password", "--single-transaction",
                                "--set", "ON_ERROR_STOP=1", "--file", "-"],
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors, env=env)
        dump = subprocess.Popen([pg_restore, "--no-owner", "--no-privileges", "--file", "-", str(db_file)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert sql.stdin is not None and dump.stdout is not None
        try:
            sql.stdin.write(prelude.encode())
            while chunk := dump.stdout.read(_CHUNK):
                sql.stdin.write(chunk)
            sql.stdin.write(b"\n" + checks.encode())
            sql.stdin.close()
        except BrokenPipeError:  # psql stopped at an error: its message says which
            pass
        dump_err = dump.communicate()[1].decode(errors="replace")
        sql.wait()
        errors.seek(0)
        sql_err = errors.read().decode(errors="replace")
    if dump.returncode != 0:
        raise RecoveryError("pg_restore could not read the dump (exit %(code)s): %(output)s; nothing was restored",
                            params={"code": dump.returncode, "output": dump_err.strip()})
    if sql.returncode != 0:
        found = re.search(r"gridgov-restore-check: ([^\n]*)", sql_err)
        if found:
            raise RecoveryError("the archive does not match its manifest: %(problem)s; nothing was restored",
                                params={"problem": _pg_problem(found.group(1).strip())})
        raise RecoveryError("psql failed (exit %(code)s), nothing was restored: %(output)s",
                            params={"code": sql.returncode, "output": sql_err.strip()[:2000]})


_PG_CHECKS = [
    (re.compile(r"the archive's database has (?P<rows>\d+) tables, the manifest lists (?P<expected>\d+)"),
     "the archive's database has %(rows)s tables, the manifest lists %(expected)s"),
    (re.compile(r"table (?P<table>\w+) has (?P<rows>\d+) rows in the archive's database, the manifest says "
                r"(?P<expected>\d+)"),
     "table %(table)s has %(rows)s rows in the archive's database, the manifest says %(expected)s"),
    (re.compile(r"the newest audit row's hash in the archive's database is not the manifest's audit chain head"),
     "the newest audit row's hash in the archive's database is not the manifest's audit chain head"),
]


def _pg_problem(text: str) -> Phrase | str:
    """The failed check of ``_pg_checks`` (its RAISE text, in English) as a phrase to translate."""
    for pattern, template in _PG_CHECKS:
        found = pattern.fullmatch(text)
        if found:
            return Phrase(template, found.groupdict())
    return text


def verify_restored(manifest: dict[str, Any], alias: str = DEFAULT_DB_ALIAS) -> RestoreReport:
    """Row counts of every table and the audit chain of the restored database, against the manifest."""
    conn = _db(alias)
    counts = {}
    with conn.cursor() as cur:
        for table in _tables(conn):
            cur.execute(f"SELECT count(*) FROM {_quote(table)}")
            counts[table] = cur.fetchone()[0]
    problem = _counts_mismatch(manifest["row_counts"], counts)
    if problem:
        raise RecoveryError("the restored database does not match the manifest: %(problem)s",
                            params={"problem": problem})
    n, broken, head = verify_audit_chain(alias)
    audit_break: Phrase | None = None
    if broken is not None:
        why = AUDIT_PROBLEMS.get(broken.problem)
        audit_break = Phrase("row %(row)s: %(problem)s",
                             {"row": broken.row_id, "problem": Phrase(why) if why else broken.problem})
    elif head != manifest.get("audit_chain_head"):
        audit_break = Phrase("the newest audit row's hash is not the manifest's audit chain head")
    return RestoreReport(engine=conn.vendor, tables=len(counts), rows=sum(counts.values()), audit_rows=n,
                         media_files=len(manifest["media"]), created_at=manifest["created_at"],
                         audit_break=audit_break)


def verify_audit_chain(alias: str = DEFAULT_DB_ALIAS) -> tuple[int, auditchain.Break | None, str | None]:
    """`gridgov audit verify`'s walk: rows read, the first break (or None), the newest row's hash."""
    from gridgov.core.models import AuditEvent

    last: dict[str, str | None] = {"hash": None}

    def rows():
        for row in (AuditEvent.objects.using(alias).order_by("id")
                    .values("id", "prev_hash", "row_hash", *auditchain.FIELDS).iterator(chunk_size=2000)):
            last["hash"] = row["row_hash"]
            yield row

    n, broken = auditchain.verify(rows())
    return n, broken, last["hash"]
