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
        from gridgov.core.errors import GridgovError
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
            self.error(exc.message)
            return 2
        for d in result.details[:show]:
            where = f"row {d.row}: " if d.row is not None else ""
            self.stderr.write(f"  {where}{d.field}: {d.message} [{d.code}]")
        if len(result.details) > show:
            self.stderr.write(f"  … {len(result.details) - show} more (see --report)")
        if report:
            with open(report, "w", encoding="utf-8-sig", newline="") as fh:
                w = spreadsheet.csv_writer(fh)
                w.writerow(["row", "field", "code", "reason"])
                w.writerows([d.row, d.field, d.code, d.message] for d in result.details)
        state = "wrote" if result.written else "wrote nothing"
        self.stdout.write(f"{kind}: {result.rows} rows ({result.encoding}); {state}: {result.created} created, "
                          f"{result.updated} updated, {result.unchanged} unchanged; {result.rejected} rejected")
        return 0 if result.written and not result.rejected else 1
