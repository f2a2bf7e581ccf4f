"""The shared body of `gridgov import-persons|import-houses|import-orgs FILE`: CSV (UTF-8/GBK) or
.xlsx, with a progress bar and a report of rejected rows; exit 1 when nothing or not everything was
written."""

from __future__ import annotations

from gridgov.core import spreadsheet
from gridgov.core.management.base import GridgovCommand


class ImportCommand(GridgovCommand):
    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--mode", choices=("all-or-nothing", "valid-rows"), default="all-or-nothing",
                            help="all-or-nothing (default): any bad row and nothing is written")
        parser.add_argument("--encoding", help="force an encoding (default: detect UTF-8 or GBK/GB18030)")
        parser.add_argument("--report", help="write every rejected row (row, field, code, reason) to this CSV")
        parser.add_argument("--show", type=int, default=20, help="rejected rows to print (default 20)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def run(self, *, file, mode, encoding, report, show, quiet, **options) -> int:
        from django.utils.translation import gettext as _

        from gridgov.core.errors import GridgovError
        from gridgov.core.i18n import api_text, message_of
        from gridgov.core.progress import Progress
        from gridgov.registry import imports

        kind = self.kind
        try:
            result = imports.import_file(kind=kind, path=file, mode=mode, encoding=encoding,
                                         progress=None if quiet else Progress())
        except OSError as exc:
            self.error(f"{file}: {exc.strerror or exc}")
            return 2
        except GridgovError as exc:
            self.error(api_text(exc))
            return 2
        for d in result.details[:show]:
            where = _("row %(row)s: ") % {"row": d.row} if d.row is not None else ""
            self.stderr.write(f"  {where}{d.field}: {message_of(d)} [{d.code}]")
        if len(result.details) > show:
            self.stderr.write("  " + _("… %(n)s more (see --report)") % {"n": len(result.details) - show})
        if report:
            with open(report, "w", encoding="utf-8-sig", newline="") as fh:
                w = spreadsheet.csv_writer(fh)
                w.writerow(["row", "field", "code", "reason"])
                w.writerows([d.row, d.field, d.code, message_of(d)] for d in result.details)
        summary = (_("%(kind)s: %(rows)s rows (%(encoding)s); wrote: %(created)s created, %(updated)s updated, "
                     "%(unchanged)s unchanged; %(rejected)s rejected") if result.written else
                   _("%(kind)s: %(rows)s rows (%(encoding)s); wrote nothing: %(created)s created, %(updated)s "
                     "updated, %(unchanged)s unchanged; %(rejected)s rejected"))
        self.stdout.write(summary % {"kind": kind, "rows": result.rows, "encoding": result.encoding,
                                     "created": result.created, "updated": result.updated,
                                     "unchanged": result.unchanged, "rejected": result.rejected})
        return 0 if result.written and not result.rejected else 1
