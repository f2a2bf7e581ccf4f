"""`gridgov safety-scan`: the weekly detection run on the database (warnings and hotspots).
`gridgov detect` (no database) lives in safety/detect_cli.py."""

from __future__ import annotations


def cmd_safety_scan(args) -> int:
    """Detection run on the database (scheduled weekly): warnings for the last complete week(s)
    and hotspots. Needs the database, unlike ``detect``."""
    from gridgov.cli import _setup

    _setup()
    from gridgov.core.progress import Progress
    from gridgov.safety import services

    r = services.scan_run(weeks=args.weeks, progress=Progress())
    print(f"{r['series']} series, {r['evaluated']} evaluated; warnings {r['warnings']}; "
          f"{r['hotspots']} hotspot grids (week of {r['week']})")
    return 0


def register(sub) -> None:
    from gridgov.safety import detect_cli

    p = sub.add_parser("detect", help=detect_cli.HELP)
    detect_cli.add_arguments(p)
    p.set_defaults(func=detect_cli.main)
    p = sub.add_parser("safety-scan", help="raise public-safety warnings and hotspots for the last complete week(s)")
    p.add_argument("--weeks", type=int, default=1, choices=range(1, 13), metavar="N",
                   help="how many recent weeks to (re)evaluate (1-12, default 1)")
    p.set_defaults(func=cmd_safety_scan)
