"""`gridgov restore ARCHIVE [--force]`: load an archive of `gridgov backup` into the configured
database and media folder (stop `serve` and `worker` first). Checks the manifest and every member
before touching anything; refuses an engine mismatch, an archive of a newer gridgov and, without
``--force``, a target that is not empty. Afterwards counts every table's rows and walks the audit
hash chain against the manifest and reports; the restore itself is audited (IMPORT of
``system.restore``) in the restored database. Exit 0 restored and verified, 1 refused or failed, or
restored with a broken audit chain (the report says where)."""

from __future__ import annotations

from pathlib import Path

from gridgov.core import recovery
from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = "restore an archive of gridgov backup (refuses a non-empty target without --force)"

    def add_arguments(self, parser):
        parser.add_argument("archive", help="the .tar file written by gridgov backup")
        parser.add_argument("--force", action="store_true",
                            help="replace a database and media folder that are not empty")

    def run(self, *, archive: str, force: bool, **options) -> int:
        try:
            report = recovery.restore(archive=Path(archive), force=force)
        except (recovery.RecoveryError, OSError) as exc:
            self.error(f"restore refused: {exc}")
            return 1
        self.stdout.write(f"restored {archive} (made {report.created_at}) into {recovery.ENGINE_NAMES[report.engine]}:\n"
                          f"  row counts of all {report.tables} tables match the manifest ({report.rows} rows)\n"
                          f"  {report.media_files} media files, each matching its SHA-256")
        if report.pending_migrations:
            self.stdout.write(f"  {len(report.pending_migrations)} migration(s) of this version are newer than the "
                              f"archive: run `gridgov migrate` before starting the server")
        if report.audit_break:
            self.error(f"the restored audit chain is broken at {report.audit_break}")
            return 1
        self.stdout.write(f"  audit chain intact: {report.audit_rows} rows, head as in the manifest")
        return 0
