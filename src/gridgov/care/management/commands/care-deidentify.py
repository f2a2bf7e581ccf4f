"""`gridgov care-deidentify [--retention-days N]`: only the de-identification step of care-jobs."""

from __future__ import annotations

import json

from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = "de-identify closed care records after the retention period"

    def add_arguments(self, parser):
        parser.add_argument("--retention-days", type=int, default=None)

    def run(self, *, retention_days, **options) -> int:
        from gridgov.care import services

        result = services.enrolments_deidentify(days=retention_days)
        self.stdout.write(json.dumps(result, sort_keys=True))
        return 0
