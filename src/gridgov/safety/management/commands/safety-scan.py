"""`gridgov safety-scan [--weeks N]`: the detection run on the database (warnings and hotspots);
`gridgov worker` runs it daily. (`gridgov detect` needs no database: safety/detect_cli.py.)"""

from __future__ import annotations

from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = "raise public-safety warnings and hotspots for the last complete week(s)"

    def add_arguments(self, parser):
        parser.add_argument("--weeks", type=int, default=1, choices=range(1, 13), metavar="N",
                            help="how many recent weeks to (re)evaluate (1-12, default 1)")

    def run(self, *, weeks, **options) -> int:
        from django.utils.translation import gettext as _

        from gridgov.core.progress import Progress
        from gridgov.safety import services

        r = services.scan_run(weeks=weeks, progress=Progress())
        self.stdout.write(_("%(series)s series, %(evaluated)s evaluated; warnings %(warnings)s; "
                            "%(hotspots)s hotspot grids (week of %(week)s)") % r)
        return 0
