"""`gridgov backup [--output DIR]`: the database and the media files in one tar archive (mode 0600)
with a manifest (core/recovery.py). The server may keep running: SQLite is copied with its online
backup API, PostgreSQL with `pg_dump --format=custom` under one snapshot. Audited (EXPORT of
``system.backup``). Prints the archive's path; exit 1 when the backup failed."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from gridgov.core import recovery
from gridgov.core.i18n import text_of
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
            problem = text_of(exc) if isinstance(exc, recovery.RecoveryError) else str(exc)
            self.error(_("backup failed: %(problem)s") % {"problem": problem})
            return 1
        m = result.manifest
        self.stdout.write(
            _("backup written: %(path)s") % {"path": result.path} + "\n  "
            + _("%(engine)s, %(tables)s tables, %(rows)s rows (%(audit_rows)s audit rows, chain head %(head)s), "
                "%(media)s media files")
            % {"engine": recovery.ENGINE_NAMES[m["engine"]], "tables": len(m["row_counts"]),
               "rows": sum(m["row_counts"].values()), "audit_rows": m["audit_rows"],
               "head": (m["audit_chain_head"] or "-")[:16], "media": len(m["media"])})
        return 0
