"""`gridgov care-jobs`: the daily care job (漏管 from missed report-in deadlines, overdue contacts
and 脱管, de-identification of closed records after the retention period)."""

from __future__ import annotations

import json
from datetime import date


def cmd_care_jobs(args) -> int:
    from gridgov.cli import _setup

    _setup()
    from gridgov.care import services

    today = date.fromisoformat(args.today) if args.today else None
    result = services.system_jobs(today=today, days=args.retention_days)
    print(json.dumps(result, ensure_ascii=False, sort_keys=True))
    return 0


def cmd_care_deidentify(args) -> int:
    from gridgov.cli import _setup

    _setup()
    from gridgov.care import services

    result = services.enrolments_deidentify(days=args.retention_days)
    print(json.dumps(result, sort_keys=True))
    return 0


def register(sub) -> None:
    p = sub.add_parser("care-jobs", help="daily care job: missed report-ins, overdue contacts, de-identification")
    p.add_argument("--today", help="run as of this date (YYYY-MM-DD; default: today)")
    p.add_argument("--retention-days", type=int, default=None,
                   help="de-identify records closed longer ago (default: GRIDGOV_CARE_RETENTION_DAYS or 1825)")
    p.set_defaults(func=cmd_care_jobs)
    p = sub.add_parser("care-deidentify", help="de-identify closed care records after the retention period")
    p.add_argument("--retention-days", type=int, default=None)
    p.set_defaults(func=cmd_care_deidentify)
