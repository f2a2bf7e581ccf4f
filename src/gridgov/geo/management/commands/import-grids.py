"""`gridgov import-grids FILE.geojson [--repair] [--dry-run]`."""

from __future__ import annotations

import json

from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = "import grids (and divisions) from a GeoJSON FeatureCollection"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--repair", action="store_true", help="fix invalid geometry (make_valid) and ring order")
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")

    def run(self, *, file, repair, dry_run, **options) -> int:
        from django.utils.translation import gettext as _

        from gridgov.core.errors import GridgovError, ValidationFailed
        from gridgov.core.i18n import api_text, message_of
        from gridgov.core.progress import Progress
        from gridgov.geo import services

        try:
            with open(file, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            self.error(_("%(file)s: cannot read GeoJSON (%(why)s)") % {"file": file, "why": exc})
            return 2
        except RecursionError:
            self.error(_("%(file)s: cannot read GeoJSON (nested too deeply)") % {"file": file})
            return 2
        try:
            report = services.grids_import(data=data, repair=repair, dry_run=dry_run, progress=Progress())
        except ValidationFailed as exc:
            self.error(api_text(exc))
            for d in exc.details:
                where = _("feature %(index)s: ") % {"index": d.row} if d.row is not None else ""
                self.stderr.write(f"  {where}{d.field}: {message_of(d)} [{d.code}]")
            return 1
        except GridgovError as exc:  # e.g. too_deep
            self.error(api_text(exc))
            return 1
        for d in report.repairs:
            self.stdout.write("  " + _("repaired feature %(index)s: %(message)s") % {"index": d.row,
                                                                                   "message": message_of(d)})
        summary = (_("would write %(created)s new and %(updated)s updated grids; %(div_created)s new and "
                     "%(div_updated)s updated divisions") if report.dry_run else
                   _("wrote %(created)s new and %(updated)s updated grids; %(div_created)s new and "
                     "%(div_updated)s updated divisions"))
        self.stdout.write(summary % {"created": report.created, "updated": report.updated,
                                     "div_created": report.divisions_created, "div_updated": report.divisions_updated})
        return 0
