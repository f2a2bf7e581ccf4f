"""`gridgov allocate`: next period's patrol plan from the incident history, without a database.

    gridgov allocate --input HISTORY.csv --units N --output PLAN.csv [--exploration 0.15] [--seed S]
                     [--floor F] [--cap C]

HISTORY.csv: ``period,grid,reported,discovered,patrol_hours`` (every past period; reported = incidents
residents reported, discovered = found by patrols, patrol_hours = exposure). PLAN.csv:
``grid,units,risk,risk_low,risk_high`` — every grid of the input, units summing to N (4 decimals).
See docs/prevention.md. Nothing here imports Django or the ``gridgov`` entry point.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys

HELP = "next period's patrol units per grid from the incident history (HISTORY.csv -> PLAN.csv); no database needed"
COLUMNS = ("period", "grid", "reported", "discovered", "patrol_hours")
PLAN_COLUMNS = ("grid", "units", "risk", "risk_low", "risk_high")
MAX_REPORTED = 20


class InputError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError
    return value


def read_history(text: str) -> list[tuple[str, str, int, int, float]]:
    """Parse HISTORY.csv; every problem is named with its line, field and reason (InputError)."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        raise InputError(["line 1: the file is empty (expected the header " + ",".join(COLUMNS) + ")"])
    names = [cell.strip().lower() for cell in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise InputError([f"line 1: missing column(s) {', '.join(missing)} (expected {','.join(COLUMNS)})"])
    col = {c: names.index(c) for c in COLUMNS}
    rows: list[tuple[str, str, int, int, float]] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) < len(names):
            problems.append(f"line {line}: {len(cells)} field(s), expected {len(names)}")
            continue
        period, grid = cells[col["period"]].strip(), cells[col["grid"]].strip()
        bad = False
        for name, value in (("period", period), ("grid", grid)):
            if not value:
                problems.append(f"line {line}: {name}: empty")
                bad = True
        counts = []
        for name in ("reported", "discovered"):
            raw = cells[col[name]].strip()
            try:
                counts.append(_count(raw))
            except ValueError:
                problems.append(f"line {line}: {name}: {raw!r} is not a whole number >= 0")
                bad = True
        raw = cells[col["patrol_hours"]].strip()
        try:
            hours = float(raw)
            if not math.isfinite(hours) or hours < 0:
                raise ValueError
        except ValueError:
            problems.append(f"line {line}: patrol_hours: {raw!r} is not a number >= 0")
            bad = True
        if bad:
            continue
        key = (period, grid)
        if key in seen:
            problems.append(f"line {line}: period {period} grid {grid} repeats line {seen[key]}")
            continue
        seen[key] = line
        rows.append((period, grid, counts[0], counts[1], hours))
    if problems:
        raise InputError(problems)
    if not rows:
        raise InputError(["line 2: no data rows after the header"])
    return rows


def write_plan(plan, total: float, out) -> int:
    from gridgov.core.spreadsheet import csv_writer
    from gridgov.prevention.allocate import round_to_sum

    units = round_to_sum(plan.units, total)
    writer = csv_writer(out, lineterminator="\n")  # a grid id read from HISTORY.csv may look like a formula
    writer.writerow(PLAN_COLUMNS)
    for i, grid in enumerate(plan.grids):
        writer.writerow([grid, f"{units[i]:.4f}", f"{plan.risk.mean[i]:.4f}", f"{plan.risk.low[i]:.4f}",
                         f"{plan.risk.high[i]:.4f}"])
    return len(plan.grids)


def main(args) -> int:
    from gridgov.prevention import allocate

    try:
        with open(args.input, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: {args.input}: cannot read ({exc})", file=sys.stderr)
        return 2
    try:
        rows = read_history(text)
    except InputError as exc:
        print(f"error: {args.input}: {len(exc.problems)} problem(s); nothing written", file=sys.stderr)
        for problem in exc.problems[:MAX_REPORTED]:
            print(f"  {problem}", file=sys.stderr)
        if len(exc.problems) > MAX_REPORTED:
            print(f"  … and {len(exc.problems) - MAX_REPORTED} more", file=sys.stderr)
        return 1
    history = allocate.history_from_rows(rows)
    n = len(history.grids)
    if args.floor * n > args.units + 1e-9:
        print(f"error: --floor {args.floor:g} x {n} grids = {args.floor * n:g} exceeds --units {args.units:g}",
              file=sys.stderr)
        return 1
    if args.cap is not None and args.cap * n < args.units - 1e-9:
        print(f"error: --cap {args.cap:g} x {n} grids = {args.cap * n:g} is below --units {args.units:g}",
              file=sys.stderr)
        return 1
    if args.cap is not None and args.cap < args.floor:
        print(f"error: --cap {args.cap:g} is below --floor {args.floor:g}", file=sys.stderr)
        return 1
    plan = allocate.allocate(history, units=args.units, exploration=args.exploration, floor=args.floor,
                             cap=args.cap, seed=args.seed)
    try:
        if args.output in (None, "-"):
            write_plan(plan, args.units, sys.stdout)
        else:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                write_plan(plan, args.units, out)
    except OSError as exc:
        print(f"error: {args.output}: cannot write ({exc})", file=sys.stderr)
        return 2
    print(f"{n} grid(s), {len(history.periods)} period(s); {args.units:g} units "
          f"({args.exploration:g} exploration); discovered per patrol hour relative to reporting: "
          f"{plan.risk.kappa:.4g}", file=sys.stderr)
    return 0


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be a number > 0")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be a number >= 0")
    return value


def _share(text: str) -> float:
    value = _non_negative(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"{text} is not a share (expected 0 <= e <= 1, e.g. 0.15)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", "-i", required=True, metavar="HISTORY.csv",
                        help="period,grid,reported,discovered,patrol_hours: every past period")
    parser.add_argument("--units", "-n", required=True, type=_positive, metavar="N",
                        help="patrol units to place next period (fractional unit-periods allowed)")
    parser.add_argument("--output", "-o", metavar="PLAN.csv",
                        help="grid,units,risk,risk_low,risk_high (default: standard output)")
    parser.add_argument("--exploration", type=_share, default=0.15,
                        help="share of the units spread over grids with little recent patrol exposure "
                             "(default 0.15)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the exploration draw (default 0)")
    parser.add_argument("--floor", type=_non_negative, default=0.0, metavar="F",
                        help="minimum units of every grid (default 0)")
    parser.add_argument("--cap", type=_positive, default=None, metavar="C",
                        help="maximum units of any grid (default none)")
