"""`gridgov quality ...`: registration-quality commands that need no database.

    gridgov quality estimate --frame FRAME.csv --visits VISITS.csv [--output OUT.csv]
                             [--level all|district|street|community|grid] [--confidence 0.95]
    gridgov quality link --register REG.csv --external EXT.csv --output LINKS.csv
                         [--threshold 0.9] [--engine duckdb|spark]

See docs/quality.md. Nothing here imports Django or the ``gridgov`` entry point: the command runs on
a laptop with only the package installed (no database, no settings).
"""

from __future__ import annotations

import argparse
import sys

HELP = ("registration and accuracy rates from a sample of visited houses (quality estimate) and linkage of "
        "an external list to the register (quality link); no database needed")
ESTIMATE_HELP = ("estimate the registration and accuracy rates of each campaign (FRAME.csv + VISITS.csv -> "
                 "estimates with intervals)")


def _read(path: str) -> str:
    with open(path, encoding="utf-8-sig") as fh:
        return fh.read()


def estimate_main(args) -> int:
    from gridgov.quality import estimate, estimateio

    texts = {}
    for name in ("frame", "visits"):
        path = getattr(args, name)
        try:
            texts[name] = _read(path)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: {path}: cannot read ({exc})", file=sys.stderr)
            return 2
    try:
        data = estimateio.read_campaigns(texts["frame"], texts["visits"], frame_name=args.frame,
                                         visits_name=args.visits, level=args.level)
    except estimateio.InputError as exc:
        print(f"error: {len(exc.problems)} problem(s) in the input; nothing written", file=sys.stderr)
        for problem in exc.problems[:estimateio.MAX_REPORTED]:
            print(f"  {problem}", file=sys.stderr)
        if len(exc.problems) > estimateio.MAX_REPORTED:
            print(f"  … and {len(exc.problems) - estimateio.MAX_REPORTED} more", file=sys.stderr)
        return 1
    result = estimateio.run(data, level=args.level, confidence=args.confidence)
    try:
        if args.output in (None, "-"):
            rows = estimateio.write_estimates(result, sys.stdout)
        else:
            with open(args.output, "w", encoding="utf-8", newline="") as fh:
                rows = estimateio.write_estimates(result, fh)
    except OSError as exc:
        print(f"error: {args.output}: cannot write ({exc})", file=sys.stderr)
        return 2
    labels = {s: int((result.status == s).sum()) for s in
              (estimate.MET, estimate.NOT_MET, estimate.UNCERTAIN, estimate.UNDEFINED)}
    print(f"{len(data.campaign_ids)} campaign(s), {len(data.stratum_code)} strata, {len(data.house_stratum)} "
          f"houses visited; {rows} rows at level {args.level} ({args.confidence:g} intervals): "
          f"{labels[estimate.MET]} met (lower bound >= 90%), {labels[estimate.NOT_MET]} not met "
          f"(upper bound < 90%), {labels[estimate.UNCERTAIN]} uncertain, {labels[estimate.UNDEFINED]} undefined",
          file=sys.stderr)
    notes = estimateio.notes(result, visits_name=args.visits)
    for note in notes[:estimateio.MAX_REPORTED]:
        print(f"note: {note}", file=sys.stderr)
    if len(notes) > estimateio.MAX_REPORTED:
        print(f"note: … and {len(notes) - estimateio.MAX_REPORTED} more", file=sys.stderr)
    return 0


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.5 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a confidence level (expected 0.5 <= c < 1, e.g. 0.95)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from gridgov.quality.estimate import LEVEL_DIGITS

    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    est = sub.add_parser("estimate", help=ESTIMATE_HELP, description=ESTIMATE_HELP)
    est.add_argument("--frame", required=True, metavar="FRAME.csv",
                     help="campaign_id,stratum,houses: the houses N_h of each stratum's frame")
    est.add_argument("--visits", required=True, metavar="VISITS.csv",
                     help="campaign_id,stratum,house_id,persons_found,persons_registered,records_checked,"
                          "records_accurate: one row per visited house")
    est.add_argument("--output", "-o", metavar="OUT.csv", help="estimates CSV (default: standard output)")
    est.add_argument("--level", choices=tuple(LEVEL_DIGITS), default="all",
                     help="all (default: one row per campaign) or the areas of a level, each from its own strata")
    est.add_argument("--confidence", type=_confidence, default=0.95,
                     help="confidence level of the Wald intervals (default 0.95)")
    from gridgov.quality.link_cli import add_link_parser

    add_link_parser(sub)


def main(args) -> int:
    if args.action == "estimate":
        return estimate_main(args)
    if args.action == "link":
        from gridgov.quality.link_cli import link_main

        return link_main(args)
    raise AssertionError(args.action)  # argparse allows only the actions above
