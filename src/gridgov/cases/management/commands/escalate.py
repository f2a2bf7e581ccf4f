"""`gridgov escalate [--dry-run] [--now TIME] [--loop] [--interval N]`: the deadline escalation job
(`gridgov worker` also runs it every 5 minutes).

``--dry-run`` lists what would escalate (case, stage, overdue since, from -> to level, step) and
writes nothing; ``--now`` takes the time to act at (ISO 8601; without a zone: Asia/Shanghai), for
drills and tests."""

from __future__ import annotations

import time
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gridgov.core.management.base import GridgovCommand


def _when(text: str) -> datetime:
    from django.utils import timezone

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(_("--now %(value)s: not an ISO 8601 time such as 2027-01-04T10:00")
                         % {"value": repr(text)}) from None
    return value if value.tzinfo else timezone.make_aware(value)


class Command(GridgovCommand):
    help = "raise overdue cases to the supervising level (run from cron, or --loop); --dry-run lists them"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running, every --interval seconds")
        parser.add_argument("--interval", type=int, default=300)
        parser.add_argument("--dry-run", action="store_true", help="list what would escalate, write nothing")
        parser.add_argument("--now", help="act as at this time (ISO 8601; default: now)")

    def run(self, *, loop, interval, dry_run, now, **options) -> int:
        from django.utils import timezone

        from gridgov.cases import services
        from gridgov.core import context

        try:
            at = _when(now) if now else None
        except ValueError as exc:
            self.error(str(exc))
            return 2
        if dry_run:
            due = services.escalation_due(now=at)
            for e in due:
                since = timezone.localtime(e.overdue_since).strftime("%Y-%m-%d %H:%M") if e.overdue_since else "?"
                self.stdout.write(_("case %(case)s: %(stage)s overdue since %(since)s: %(source)s -> %(target)s "
                                    "(step %(step)s)") % {"case": e.case_id, "stage": pgettext("case stage", e.stage),
                                                           "since": since,
                                                           "source": e.from_prefix, "target": e.to_prefix,
                                                           "step": e.step})
            self.stdout.write(_("would escalate %(n)s overdue case(s)") % {"n": len(due)})
            return 0
        with context.bind(channel="worker"):
            while True:
                raised = services.cases_escalate(now=at)
                shown = f": {', '.join(map(str, raised[:20]))}" if raised else ""
                self.stdout.write(_("escalated %(n)s overdue case(s)") % {"n": len(raised)} + shown)
                self.stdout.flush()
                if not loop:
                    return 0
                time.sleep(interval)
