"""`gridgov reindex-identity [--check]`: recompute the identity numbers' blind index."""

from __future__ import annotations

from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = ("recompute the identity numbers' blind index with the current GRIDGOV_BLIND_INDEX_KEY "
            "(after setting or changing it)")

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="only count rows indexed with another key (exit 1 if any)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def run(self, *, check, quiet, **options) -> int:
        from django.utils.translation import gettext as _

        from gridgov.core.progress import Progress
        from gridgov.registry.services import blind_index_rebuild

        out = blind_index_rebuild(check_only=check, progress=None if quiet else Progress())
        if check:
            self.stdout.write(_("%(rows)s identity numbers; %(stale)s indexed with another key")
                              % {"rows": out["rows"], "stale": out["stale"]})
            return 1 if out["stale"] else 0
        self.stdout.write(_("%(rows)s identity numbers; %(written)s re-indexed")
                          % {"rows": out["rows"], "written": out["written"]})
        return 0
