"""`gridgov backup [--output DIR]`: the database and the media files in one tar archive (mode 0600)
with a manifest (core/recovery.py). The server may keep running: SQLite is copied with its online
backup API, PostgreSQL with `pg_dump --format=custom` under one snapshot. Audited (EXPORT of
``system.backup``). Prints the archive's path; exit 1 when the backup failed."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from gridgov.core import recovery
from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = "back up the database and the media files into one archive (restore with gridgov restore)"

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="DIR", default=None,
                            help="folder of the archive (created 0700; default: VAR_DIR/backups)")

    def run(self, *, output: str | None, **options) -> int:
        folder = Path(output) if output else Path(settings.VAR_DIR) / "backups"
        try:
            result = recovery.backup(output_dir=folder)
        except (recovery.RecoveryError, OSError) as exc:
            self.error(f"backup failed: {exc}")
            return 1
        m = result.manifest
        self.stdout.write(f"backup written: {result.path}\n"
                          f"  {recovery.ENGINE_NAMES[m['engine']]}, {len(m['row_counts'])} tables, "
                          f"{sum(m['row_counts'].values())} rows ({m['audit_rows']} audit rows, chain head "
                          f"{(m['audit_chain_head'] or '-')[:16]}), {len(m['media'])} media files")
        return 0
