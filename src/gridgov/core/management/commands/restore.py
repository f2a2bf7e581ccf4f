"""`gridgov restore ARCHIVE [--force]`: load an archive of `gridgov backup` into the configured
database and media folder (stop `serve` and `worker` first). Checks the manifest and every member
before touching anything; refuses an engine mismatch, an archive of a newer gridgov and, without
``--force``, a target that is not empty. Afterwards counts every table's rows and walks the audit
hash chain against the manifest and reports; the restore itself is audited (IMPORT of
``system.restore``) in the restored database. Exit 0 restored and verified, 1 refused or failed, or
restored with a broken audit chain (the report says where)."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from gridgov.core import recovery
from gridgov.core.i18n import phrase_text, text_of
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
            problem = text_of(exc) if isinstance(exc, recovery.RecoveryError) else str(exc)
            self.error(_("restore refused: %(problem)s") % {"problem": problem})
            return 1
        lines = [
            _("restored %(archive)s (made %(created)s) into %(engine)s:")
            % {"archive": archive, "created": report.created_at, "engine": recovery.ENGINE_NAMES[report.engine]},
            _("row counts of all %(tables)s tables match the manifest (%(rows)s rows)")
            % {"tables": report.tables, "rows": report.rows},
            _("%(n)s media files, each matching its SHA-256") % {"n": report.media_files},
        ]
        if report.pending_migrations:
            lines.append(_("%(n)s migration(s) of this version are newer than the archive: run `gridgov migrate` "
                           "before starting the server") % {"n": len(report.pending_migrations)})
        self.stdout.write("\n  ".join(lines))
        if report.audit_break is not None:
            self.error(_("the restored audit chain is broken at %(where)s") % {"where": phrase_text(report.audit_break)})
            return 1
        self.stdout.write("  " + _("audit chain intact: %(n)s rows, head as in the manifest") % {"n": report.audit_rows})
        return 0
