"""`gridgov worker [--once] [--tick N]`: the background tasks (upload imports) and the periodic
schedule (deadline escalation every 5 minutes; care jobs, the safety scan and task-table pruning
daily). One per installation is enough; run it beside `gridgov serve` (docs/deployment.md)."""

from __future__ import annotations

from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = "run the background tasks (upload imports) and the periodic jobs (escalation, care, safety)"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true",
                            help="enqueue every periodic job, run all queued tasks, then exit")
        parser.add_argument("--tick", type=int, default=60, help="seconds between schedule checks (1-60)")

    def run(self, *, once, tick, verbosity, **options) -> int:
        from gridgov.core import worker

        return worker.run(once=once, tick=min(60, max(1, tick)), stdout=self.stdout, verbosity=verbosity)
