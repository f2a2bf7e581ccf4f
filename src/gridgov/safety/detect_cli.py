"""`gridgov detect`: aberration detection on any weekly counts CSV, without a database.

    gridgov detect --input counts.csv --output alarms.csv [--method auto|farrington|ewma|c1|c2|c3]
                   [--alpha 0.01] [--since YYYY-MM-DD]

See docs/detect-cli.md. Nothing here imports Django or the ``gridgov`` entry point: the command
runs on a laptop with only the package installed (no database, no settings).
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
from datetime import date

HELP = "flag unusual weeks in a counts CSV (series_id,week_start,count); no database needed"
METHOD_CHOICES = ("auto", "farrington", "ewma", "c1", "c2", "c3")


def _open_input(name: str):
    """A text handle on the input that can be read twice (standard input is copied to a temporary
    file first, in pieces)."""
    if name == "-":
        spool = tempfile.TemporaryFile("w+b")
        shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
        spool.seek(0)
        return io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
    return open(name, encoding="utf-8-sig", newline="")


def main(args) -> int:
    """Read the file in batches into a compact matrix (4 bytes per week and series), then detect and
    write by blocks of series (countsio.run_blocks): memory is bounded by the matrix and one block,
    not by the parsed rows. A file with problems is read again row by row to name them all."""
    from gridgov.safety import countsio

    try:
        with _open_input(args.input) as fh:
            table: countsio.CompactTable | countsio.CountTable | None = countsio.read_compact(fh)
            if table is None:
                fh.seek(0)
                table = countsio.read_counts(fh.read())
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: {args.input}: cannot read ({exc})", file=sys.stderr)
        return 2
    except countsio.CountsError as exc:
        print(f"error: {args.input}: {len(exc.problems)} problem(s); nothing written", file=sys.stderr)
        for problem in exc.problems[:countsio.MAX_REPORTED]:
            print(f"  {problem}", file=sys.stderr)
        if len(exc.problems) > countsio.MAX_REPORTED:
            print(f"  … and {len(exc.problems) - countsio.MAX_REPORTED} more", file=sys.stderr)
        return 1
    try:
        if args.output in (None, "-"):
            summary = countsio.run_blocks(table, sys.stdout, method=args.method, alpha=args.alpha, since=args.since)
        else:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                summary = countsio.run_blocks(table, out, method=args.method, alpha=args.alpha, since=args.since)
    except OSError as exc:
        print(f"error: {args.output}: cannot write ({exc})", file=sys.stderr)
        return 2
    print(f"{summary.series} series, {summary.weeks} weeks; {summary.rows} evaluated rows "
          f"({args.method}), {summary.alarms} alarms at p < {args.alpha:g}", file=sys.stderr)
    return 0


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 0.5:
        raise argparse.ArgumentTypeError("alpha must be between 0 and 0.5")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", "-i", required=True, help="counts CSV (or - for standard input)")
    parser.add_argument("--output", "-o", help="alarms CSV (default: standard output)")
    parser.add_argument("--method", choices=METHOD_CHOICES, default="auto",
                        help="auto (default): Farrington/Noufaily with >= 3 years of history, else EWMA, "
                             "else EARS C1")
    parser.add_argument("--alpha", type=_alpha, default=0.01,
                        help="significance of the alarm column (default 0.01)")
    parser.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="evaluate and write only weeks starting on or after this date "
                             "(earlier weeks are history)")
