"""`gridgov import-persons`, `import-houses`, `import-orgs`: CSV or .xlsx with a progress bar."""

from __future__ import annotations

import csv
import sys


def _cmd(kind: str):
    def run(args) -> int:
        from gridgov.cli import _setup

        _setup()
        from gridgov.core.errors import GridgovError
        from gridgov.core.progress import Progress
        from gridgov.registry import imports

        try:
            result = imports.import_file(kind=kind, path=args.file, mode=args.mode, encoding=args.encoding,
                                         progress=None if args.quiet else Progress())
        except OSError as exc:
            print(f"error: {args.file}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        except GridgovError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
        for d in result.details[: args.show]:
            where = f"row {d.row}: " if d.row is not None else ""
            print(f"  {where}{d.field}: {d.message} [{d.code}]", file=sys.stderr)
        if len(result.details) > args.show:
            print(f"  … {len(result.details) - args.show} more (see --report)", file=sys.stderr)
        if args.report:
            with open(args.report, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["row", "field", "code", "reason"])
                w.writerows([d.row, d.field, d.code, d.message] for d in result.details)
        state = "wrote" if result.written else "wrote nothing"
        print(f"{kind}: {result.rows} rows ({result.encoding}); {state}: {result.created} created, "
              f"{result.updated} updated, {result.unchanged} unchanged; {result.rejected} rejected")
        return 0 if result.written and not result.rejected else 1
    return run


def _reindex(args) -> int:
    from gridgov.cli import _setup

    _setup()
    from gridgov.core.progress import Progress
    from gridgov.registry.services import blind_index_rebuild

    out = blind_index_rebuild(check_only=args.check, progress=None if args.quiet else Progress())
    if args.check:
        print(f"{out['rows']} identity numbers; {out['stale']} indexed with another key")
        return 1 if out["stale"] else 0
    print(f"{out['rows']} identity numbers; {out['written']} re-indexed")
    return 0


def register(sub) -> None:
    p = sub.add_parser("reindex-identity", help="recompute the identity numbers' blind index with the current "
                                                "GRIDGOV_BLIND_INDEX_KEY (after setting or changing it)")
    p.add_argument("--check", action="store_true", help="only count rows indexed with another key (exit 1 if any)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_reindex)
    for kind, name, what in (("persons", "import-persons", "residents"), ("houses", "import-houses", "houses"),
                             ("orgs", "import-orgs", "organisations")):
        p = sub.add_parser(name, help=f"import {what} from CSV (UTF-8/GBK) or .xlsx (upsert; report of bad rows)")
        p.add_argument("file")
        p.add_argument("--mode", choices=("all-or-nothing", "valid-rows"), default="all-or-nothing",
                       help="all-or-nothing (default): any bad row and nothing is written")
        p.add_argument("--encoding", help="force an encoding (default: detect UTF-8 or GBK/GB18030)")
        p.add_argument("--report", help="write every rejected row (row, field, code, reason) to this CSV")
        p.add_argument("--show", type=int, default=20, help="rejected rows to print (default 20)")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        p.set_defaults(func=_cmd(kind))
