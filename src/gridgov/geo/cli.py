"""`gridgov import-grids` and `gridgov export-grids`."""

from __future__ import annotations

import json
import sys


def cmd_import_grids(args) -> int:
    from gridgov.cli import _setup

    _setup()
    from gridgov.core.errors import ValidationFailed
    from gridgov.core.progress import Progress
    from gridgov.geo import services

    try:
        with open(args.file, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        print(f"error: {args.file}: cannot read GeoJSON ({exc})", file=sys.stderr)
        return 2
    try:
        report = services.grids_import(data=data, repair=args.repair, dry_run=args.dry_run, progress=Progress())
    except ValidationFailed as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for d in exc.details:
            where = f"feature {d.row}: " if d.row is not None else ""
            print(f"  {where}{d.field}: {d.message} [{d.code}]", file=sys.stderr)
        return 1
    for d in report.repairs:
        print(f"  repaired feature {d.row}: {d.message}")
    verb = "would write" if report.dry_run else "wrote"
    print(f"{verb} {report.created} new and {report.updated} updated grids; "
          f"{report.divisions_created} new and {report.divisions_updated} updated divisions")
    return 0


def cmd_export_grids(args) -> int:
    from gridgov.cli import _setup

    _setup()
    from gridgov.geo import selectors

    text = selectors.grids_export_geojson(None, prefix=args.prefix or "", system=True)
    if args.output in (None, "-"):
        sys.stdout.write(text + "\n")
    else:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    return 0


def register(sub) -> None:
    p = sub.add_parser("import-grids", help="import grids (and divisions) from a GeoJSON FeatureCollection")
    p.add_argument("file")
    p.add_argument("--repair", action="store_true", help="fix invalid geometry (make_valid) and ring order")
    p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    p.set_defaults(func=cmd_import_grids)
    p = sub.add_parser("export-grids", help="export grids as GeoJSON")
    p.add_argument("--prefix", help="only codes starting with this prefix")
    p.add_argument("--output", "-o", help="file (default: standard output)")
    p.set_defaults(func=cmd_export_grids)
