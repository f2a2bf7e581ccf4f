"""`gridgov escalate [--loop] [--interval N]`: the deadline escalation job (`gridgov worker` also runs
it every 5 minutes)."""

from __future__ import annotations

import time

from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = "raise overdue cases to the supervising level (run from cron, or --loop)"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running, every --interval seconds")
        parser.add_argument("--interval", type=int, default=300)

    def run(self, *, loop, interval, **options) -> int:
        from gridgov.cases import services
        from gridgov.core import context

        with context.bind(channel="worker"):
            while True:
                raised = services.cases_escalate()
                shown = f": {', '.join(map(str, raised[:20]))}" if raised else ""
                self.stdout.write(f"escalated {len(raised)} overdue case(s){shown}")
                self.stdout.flush()
                if not loop:
                    return 0
                time.sleep(interval)
