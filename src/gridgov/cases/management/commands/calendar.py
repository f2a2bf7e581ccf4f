"""`gridgov calendar show [--year Y]` and `gridgov calendar import FILE.csv`: the working calendar.

``show`` prints whether this year and the next (or ``--year``) are official or provisional, and the
provisional holidays. ``import`` loads the State Council's schedule of one or more years (CSV
``date,kind,name``; docs/cases.md "Working calendar"): all or nothing, every problem of the file
listed with its row; the deadlines of open cases are recomputed. Exit code 1 when the file is refused.
"""

from __future__ import annotations

from pathlib import Path

from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = "show the working calendar's years, or import an official holiday schedule (CSV date,kind,name)"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="official or provisional: this year and the next")
        show.add_argument("--year", type=int)
        load = sub.add_parser("import", help="load an official schedule (CSV: date,kind,name)")
        load.add_argument("file")

    def run(self, *, action, **options) -> int:
        if action == "import":
            return self._import(Path(options["file"]))
        return self._show(options.get("year"))

    def _show(self, year: int | None) -> int:
        from django.utils import timezone
        from django.utils.dates import WEEKDAYS_ABBR
        from django.utils.translation import gettext as _

        from gridgov.cases import holidays, selectors

        cal = selectors.work_calendar()
        today = timezone.localdate()
        for y in [year] if year is not None else [today.year, today.year + 1]:
            if not cal.is_provisional(y):
                text = (_("%(year)s: official (imported schedule)") if y in cal.official_years
                        else _("%(year)s: official (holiday package)"))
                self.stdout.write(text % {"year": y})
                continue
            self.stdout.write(_("%(year)s: PROVISIONAL (statutory holidays by law, no swapped working days); "
                                "load the official schedule with `gridgov calendar import FILE.csv`") % {"year": y})
            for day, name in holidays.provisional_holidays(y).items():
                self.stdout.write(f"  {day.isoformat()} {WEEKDAYS_ABBR[day.weekday()]} {name}")
        return 0

    def _import(self, path: Path) -> int:
        from django.utils.translation import gettext

        from gridgov.cases import services
        from gridgov.core.errors import ValidationFailed
        from gridgov.core.i18n import api_text, message_of

        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                result = services.calendar_import(lines=handle, source=path.name)
        except OSError as exc:
            self.error(f"{path}: {exc.strerror or exc}")
            return 1
        except UnicodeDecodeError:
            self.error(gettext("%(file)s: not UTF-8 text") % {"file": path})
            return 1
        except ValidationFailed as exc:
            self.error(api_text(exc))
            for d in exc.details:
                self.stderr.write("  " + gettext("row %(row)s, %(field)s: %(message)s")
                                  % {"row": d.row, "field": d.field, "message": message_of(d)})
            return 1
        moved = result["cases_moved"]
        self.stdout.write(gettext("loaded %(days)s day(s) for %(years)s; deadlines moved in %(n)s open case(s)")
                          % {"days": result["days"], "years": ", ".join(map(str, result["years"])), "n": len(moved)})
        return 0
