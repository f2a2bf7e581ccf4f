"""`gridgov care-jobs [--today D] [--retention-days N]`: the daily care job (漏管 from missed report-in
deadlines, overdue contacts and 脱管, de-identification of closed records after the retention
period); `gridgov worker` runs it daily."""

from __future__ import annotations

import json
from datetime import date

from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = "daily care job: missed report-ins, overdue contacts, de-identification"

    def add_arguments(self, parser):
        parser.add_argument("--today", help="run as of this date (YYYY-MM-DD; default: today)")
        parser.add_argument("--retention-days", type=int, default=None,
                            help="de-identify records closed longer ago (default: GRIDGOV_CARE_RETENTION_DAYS "
                                 "or 1825)")

    def run(self, *, today, retention_days, **options) -> int:
        from gridgov.care import services

        result = services.system_jobs(today=date.fromisoformat(today) if today else None, days=retention_days)
        self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=True))
        return 0
