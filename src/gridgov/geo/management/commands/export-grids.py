"""`gridgov export-grids [--prefix P] [-o FILE]`."""

from __future__ import annotations

from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = "export grids as GeoJSON"

    def add_arguments(self, parser):
        parser.add_argument("--prefix", help="only codes starting with this prefix")
        parser.add_argument("--output", "-o", help="file (default: standard output)")

    def run(self, *, prefix, output, **options) -> int:
        from gridgov.geo import selectors

        text = selectors.grids_export_geojson(None, prefix=prefix or "", system=True)
        if output in (None, "-"):
            self.stdout.write(text)
        else:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        return 0
