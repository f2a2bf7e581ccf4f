"""`gridgov escalate` (the deadline escalation job) and `gridgov open311-key create NAME [--per-hour N]`
/ `revoke ID`."""

from __future__ import annotations

import sys
import time


def run_escalate(*, once: bool = True, interval: int = 300) -> int:
    from gridgov.cases import services

    while True:
        raised = services.cases_escalate()
        print(f"escalated {len(raised)} overdue case(s)" + (f": {', '.join(map(str, raised[:20]))}" if raised else ""),
              flush=True)
        if once:
            return 0
        time.sleep(interval)


def cmd_escalate(args) -> int:
    from gridgov.cli import _setup

    _setup()
    from gridgov.core import context

    with context.bind(channel="worker"):
        return run_escalate(once=not args.loop, interval=args.interval)


def cmd_open311_key(args) -> int:
    from gridgov.cli import _setup

    _setup()
    from gridgov.cases import services
    from gridgov.core.errors import GridgovError

    if args.action == "create":
        try:
            key, raw = services.open311_key_create(name=args.name, max_per_hour=args.per_hour)
        except GridgovError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
        print(raw)
        limit = f"{key.max_per_hour} requests per hour" if key.max_per_hour else "no hourly limit"
        print(f"(Open311 api_key '{key.name}', id {key.pk}, {limit}; shown once, only its digest is stored)",
              file=sys.stderr)
        return 0
    if args.per_hour is not None:
        print("error: --per-hour is for create", file=sys.stderr)
        return 2
    try:
        services.open311_key_revoke(key_id=int(args.name))
    except (GridgovError, ValueError):
        print(f"error: no active key with id {args.name}", file=sys.stderr)
        return 2
    print(f"revoked key {args.name}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("escalate", help="raise overdue cases to the supervising level (run from cron, or --loop)")
    p.add_argument("--loop", action="store_true", help="keep running, every --interval seconds")
    p.add_argument("--interval", type=int, default=300)
    p.set_defaults(func=cmd_escalate)
    p = sub.add_parser("open311-key", help="create (prints the key once) or revoke an Open311 api_key")
    p.add_argument("action", choices=["create", "revoke"])
    p.add_argument("name", help="a name for the key (create) or its id (revoke)")
    p.add_argument("--per-hour", type=int, default=None, metavar="N",
                   help="create: cases the key may submit in any hour (default 600; 0 = unlimited)")
    p.set_defaults(func=cmd_open311_key)
