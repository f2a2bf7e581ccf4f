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
        from gridgov.core.errors import GridgovError, ValidationFailed
        from gridgov.core.progress import Progress
        from gridgov.geo import services

        try:
            with open(file, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            self.error(f"{file}: cannot read GeoJSON ({exc})")
            return 2
        except RecursionError:
            self.error(f"{file}: cannot read GeoJSON (nested too deeply)")
            return 2
        try:
            report = services.grids_import(data=data, repair=repair, dry_run=dry_run, progress=Progress())
        except ValidationFailed as exc:
            self.error(exc.message)
            for d in exc.details:
                where = f"feature {d.row}: " if d.row is not None else ""
                self.stderr.write(f"  {where}{d.field}: {d.message} [{d.code}]")
            return 1
        except GridgovError as exc:  # e.g. too_deep
            self.error(exc.message)
            return 1
        for d in report.repairs:
            self.stdout.write(f"  repaired feature {d.row}: {d.message}")
        verb = "would write" if report.dry_run else "wrote"
        self.stdout.write(f"{verb} {report.created} new and {report.updated} updated grids; "
                          f"{report.divisions_created} new and {report.divisions_updated} updated divisions")
        return 0
