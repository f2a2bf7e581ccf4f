"""FRAME.csv and VISITS.csv in, estimates CSV out (pure: no Django). Used by ``gridgov quality estimate``.

Both inputs are UTF-8 (a BOM is fine) with a header; columns in any order, other columns ignored.
Line numbers in problems are the file's physical lines (the header is line 1; a quoted field that
spans lines counts them all). Every problem of both files is collected and reported at once, and a
file with problems gives no estimate. docs/quality.md has the formats.
"""

from __future__ import annotations

import csv
import gc
import io
import math
import re
from dataclasses import dataclass

import numpy as np

from gridgov.core.spreadsheet import csv_writer
from gridgov.quality import estimate

FRAME_COLUMNS = ("campaign_id", "stratum", "houses")
VISIT_COLUMNS = ("campaign_id", "stratum", "house_id", "persons_found", "persons_registered",
                 "records_checked", "records_accurate")
COUNT_COLUMNS = VISIT_COLUMNS[3:]
OUTPUT_COLUMNS = ("campaign_id", "area", "indicator", "estimate", "ci_low", "ci_high", "std_error",
                  "houses_visited")
INDICATORS = ("registration_rate", "accuracy_rate")
MAX_REPORTED = 200
MAX_COUNT = 10**9  # houses of a stratum or persons of a house: anything larger is a typing error
_OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
#: the pairs (part, whole) that must satisfy part <= whole in every visited house
NESTED = (("persons_registered", "persons_found"), ("records_checked", "persons_registered"),
          ("records_accurate", "records_checked"))


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{self.file}: {where}{self.column}: {self.message}"


class InputError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the input")


@dataclass
class Campaigns:
    """The frame and the visits of many campaigns, as arrays for :mod:`gridgov.quality.estimate`."""

    campaign_ids: list[str]  # in the order of the frame
    stratum_campaign: np.ndarray  # per frame row: campaign index
    stratum_code: list[str]
    stratum_houses: np.ndarray  # N_h
    stratum_line: list[int]  # frame line of each stratum
    house_stratum: np.ndarray  # per visit: frame row
    counts: np.ndarray  # (visits, 4): persons_found, persons_registered, records_checked, records_accurate


def _table(text: str, file: str, required: tuple[str, ...],
           problems: list[Problem]) -> tuple[list[int], list[list[str]]] | None:
    """(line number of each row, the required columns' cells, column by column); None when a column is
    missing. Blank rows are skipped; cells are stripped."""
    text = text.lstrip("\ufeff")
    quoted = '"' in text or _OTHER_BREAKS.search(text) is not None
    # without quotes (and characters that str.splitlines takes for line breaks but CSV does not) a row
    # is a physical line: the reader takes the lines (a StringIO copy of a large file would hold it
    # again, at 3 times its size: 370 -> 327 MB peak for 475,474 visits)
    reader = csv.reader(io.StringIO(text) if quoted else text.splitlines())
    try:
        header = next(reader)
        if quoted:  # a quoted cell may span lines: take each row's line from the reader
            lines: list[int] = []
            records: list[list[str]] = []
            for record in reader:
                lines.append(reader.line_num)
                records.append(record)
        else:  # one row per physical line
            records = list(reader)
            lines = list(range(2, len(records) + 2))
    except StopIteration:
        problems.append(Problem(file, None, "file", f"is empty; expected a header {','.join(required)}"))
        return None
    except csv.Error as exc:
        problems.append(Problem(file, reader.line_num, "file", f"is not readable CSV ({exc})"))
        return None
    names = [h.strip().lower() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        problems += [Problem(file, 1, c, f"missing column (the header has: {', '.join(header) or 'nothing'})")
                     for c in missing]
        return None
    index = [names.index(c) for c in required]
    width = len(header)
    if set(map(len, records)) - {width}:  # blank or short rows: skip the blank ones, pad the short ones
        keep = [i for i, record in enumerate(records) if any(cell.strip() for cell in record)]
        lines = [lines[i] for i in keep]
        records = [record + [""] * (width - len(record)) for record in (records[i] for i in keep)]
    columns = [[cell.strip() for cell in column] for column in
               (zip(*records, strict=False) if records else [() for _ in range(width)])]
    return lines, [columns[i] for i in index]


def _count(text: str, *, minimum: int) -> tuple[int | None, str | None]:
    if not text:
        return None, f"is empty; expected a whole number >= {minimum}"
    try:
        value = float(text)
    except ValueError:
        return None, f"{text!r} is not a number; expected a whole number >= {minimum}"
    if not math.isfinite(value) or value != int(value):
        return None, f"{text!r} is not a whole number"
    if value < minimum:
        return None, f"{text!r} is negative (counts are >= 0)" if minimum == 0 else \
            f"{text!r} is less than {minimum}"
    if value > MAX_COUNT:
        return None, f"{text!r} is too large (at most {MAX_COUNT:,})"
    return int(value), None


def _int_column(cells: list[str], lines: list[int], file: str, column: str, minimum: int,
                problems: list[Problem]) -> tuple[np.ndarray, np.ndarray]:
    """(the column as int64, which cells are valid); a clean column is converted at once, else cell by
    cell with reasons."""
    try:
        values = np.array(cells, dtype=np.int64)
    except (ValueError, OverflowError):
        values = None
    if values is not None and (not values.size or (values.min() >= minimum and values.max() <= MAX_COUNT)):
        return values, np.ones(len(cells), dtype=bool)
    out = np.zeros(len(cells), dtype=np.int64)
    valid = np.zeros(len(cells), dtype=bool)
    for i, cell in enumerate(cells):
        value, why = _count(cell, minimum=minimum)
        if value is None:
            problems.append(Problem(file, lines[i], column, why or "is not a whole number"))
        else:
            out[i] = value
            valid[i] = True
    return out, valid


def read_campaigns(frame_text: str, visits_text: str, *, frame_name: str = "FRAME.csv",
                   visits_name: str = "VISITS.csv", level: str = "all") -> Campaigns:
    """Parse and check both files; raises ``InputError`` listing every problem.

    The cyclic garbage collector is paused meanwhile: parsing makes millions of small objects and no
    cycles, and the collector's passes over them took about 45% of the CPU time of reading 475,474
    visits (1.35-1.62 s instead of 2.77-3.45 s, measured in turn in one process;
    benchmarks/bench_quality_estimate.py has the data)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_campaigns(frame_text, visits_text, frame_name=frame_name, visits_name=visits_name, level=level)
    finally:
        if enabled:
            gc.enable()


def _read_campaigns(frame_text: str, visits_text: str, *, frame_name: str, visits_name: str,
                    level: str) -> Campaigns:
    problems: list[Problem] = []
    frame = _table(frame_text, frame_name, FRAME_COLUMNS, problems)
    visits = _table(visits_text, visits_name, VISIT_COLUMNS, problems)
    if frame is None or visits is None:
        raise InputError(problems)
    f_lines, f_rows = frame
    v_lines, v_rows = visits

    # the frame: one row per (campaign, stratum), N_h >= 1
    campaign_index: dict[str, int] = {}
    stratum_index: dict[tuple[str, str], int] = {}
    s_campaign: list[int] = []
    s_code: list[str] = []
    s_line: list[int] = []
    s_cells: list[str] = []
    digits = estimate.LEVEL_DIGITS[level]
    for line, cid, code, houses in zip(f_lines, *f_rows, strict=True):
        ok = True
        if not cid:
            problems.append(Problem(frame_name, line, "campaign_id", "is empty"))
            ok = False
        if not code:
            problems.append(Problem(frame_name, line, "stratum", "is empty"))
            ok = False
        elif digits and (not (code.isascii() and code.isdigit()) or len(code) < digits):
            problems.append(Problem(frame_name, line, "stratum",
                                    f"{code!r} is not a code of at least {digits} digits, as --level {level} needs"))
        if not ok:
            continue
        first = stratum_index.get((cid, code))
        if first is not None:
            problems.append(Problem(frame_name, line, "stratum",
                                    f"stratum {code!r} of campaign {cid!r} is listed twice (also line "
                                    f"{s_line[first]})"))
            continue
        stratum_index[(cid, code)] = len(s_code)
        s_campaign.append(campaign_index.setdefault(cid, len(campaign_index)))
        s_code.append(code)
        s_line.append(line)
        s_cells.append(houses)
    big_n, _ = _int_column(s_cells, s_line, frame_name, "houses", 1, problems)

    # the visits: each in a stratum of the frame, each house once per campaign, counts nested
    house_stratum = np.full(len(v_lines), -1, dtype=np.intp)
    seen: dict[tuple[str, str], int] = {}
    for i, (line, cid, code, house) in enumerate(zip(v_lines, *v_rows[:3], strict=True)):
        for column, value in (("campaign_id", cid), ("stratum", code), ("house_id", house)):
            if not value:
                problems.append(Problem(visits_name, line, column, "is empty"))
        if not (cid and code and house):
            continue
        h = stratum_index.get((cid, code))
        if h is None:
            known = "campaign" if cid in campaign_index else "frame"
            what = (f"stratum {code!r} is not in the frame of campaign {cid!r}" if known == "campaign"
                    else f"campaign {cid!r} is not in the frame")
            problems.append(Problem(visits_name, line, "stratum" if known == "campaign" else "campaign_id",
                                    f"{what} ({frame_name} gives no houses for it)"))
        else:
            house_stratum[i] = h
        first = seen.setdefault((cid, house), line)
        if first != line:
            problems.append(Problem(visits_name, line, "house_id",
                                    f"house {house!r} of campaign {cid!r} is visited twice (also line {first})"))
    columns = [_int_column(v_rows[3 + j], v_lines, visits_name, column, 0, problems)
               for j, column in enumerate(COUNT_COLUMNS)]
    counts = np.column_stack([values for values, _ in columns]).reshape(len(v_lines), len(COUNT_COLUMNS))
    col = {c: counts[:, j] for j, c in enumerate(COUNT_COLUMNS)}
    valid = {c: ok for c, (_, ok) in zip(COUNT_COLUMNS, columns, strict=True)}
    for part, whole in NESTED:
        for bad in np.flatnonzero((col[part] > col[whole]) & valid[part] & valid[whole]).tolist():
            problems.append(Problem(visits_name, v_lines[bad], part,
                                    f"{col[part][bad]} is more than {whole} ({col[whole][bad]})"))
    in_frame = house_stratum >= 0
    visited = np.bincount(house_stratum[in_frame], minlength=len(s_code))
    for over in np.flatnonzero((visited > big_n) & (big_n >= 1)).tolist():
        problems.append(Problem(frame_name, s_line[over], "houses",
                                f"stratum {s_code[over]!r} of campaign "
                                f"{_name_of(campaign_index, s_campaign[over])!r} has {big_n[over]} houses but "
                                f"{visited[over]} are visited in {visits_name}"))
    if problems:
        problems.sort(key=lambda p: (p.file != frame_name, p.line or 0))
        raise InputError(problems)
    return Campaigns(campaign_ids=list(campaign_index), stratum_campaign=np.asarray(s_campaign, dtype=np.intp),
                     stratum_code=s_code, stratum_houses=big_n, stratum_line=s_line,
                     house_stratum=house_stratum, counts=counts)


def _name_of(index: dict[str, int], value: int) -> str:
    return next(k for k, v in index.items() if v == value)


@dataclass(frozen=True)
class Result:
    campaigns: Campaigns
    areas: estimate.AreaEstimates
    ci_low: np.ndarray
    ci_high: np.ndarray
    status: np.ndarray


def run(data: Campaigns, *, level: str = "all", confidence: float = 0.95) -> Result:
    counts = data.counts.astype(np.float64)
    # registration: registered / found; accuracy: accurate / checked
    y = counts[:, [1, 3]]
    x = counts[:, [0, 2]]
    areas = estimate.estimate_areas(stratum_campaign=data.stratum_campaign, stratum_code=data.stratum_code,
                                    stratum_houses=data.stratum_houses, house_stratum=data.house_stratum,
                                    y=y, x=x, level=level)
    low, high = estimate.wald_interval(areas.estimate, areas.std_error, confidence)
    return Result(campaigns=data, areas=areas, ci_low=low, ci_high=high, status=estimate.status(low, high))


def _num(value: float) -> str:
    return "" if math.isnan(value) else repr(float(value))


def write_estimates(result: Result, out) -> int:
    """Write OUT.csv; returns the number of rows."""
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    a = result.areas
    ids = result.campaigns.campaign_ids
    rows = 0
    for g in range(len(a.area)):
        for j, indicator in enumerate(INDICATORS):
            writer.writerow((ids[a.campaign[g]], a.area[g], indicator, _num(a.estimate[g, j]),
                             _num(result.ci_low[g, j]), _num(result.ci_high[g, j]),
                             _num(a.std_error[g, j]), int(a.houses[g])))
            rows += 1
    return rows


def notes(result: Result, visits_name: str = "VISITS.csv") -> list[str]:
    """What the reader of the estimates must know: strata estimated from one house (R's "adjust"),
    strata of the frame without any visited house (outside the estimate)."""
    data = result.campaigns
    visited = np.bincount(data.house_stratum, minlength=len(data.stratum_code))
    out = []
    for h in np.flatnonzero(visited == 1):
        out.append(f"campaign {data.campaign_ids[data.stratum_campaign[h]]!r}, stratum {data.stratum_code[h]!r}: "
                   "one house visited; its variance uses the lonely-house rule (R's survey.lonely.psu='adjust')")
    for h in np.flatnonzero(visited == 0):
        out.append(f"campaign {data.campaign_ids[data.stratum_campaign[h]]!r}, stratum {data.stratum_code[h]!r}: "
                   f"no house visited in {visits_name}; its {data.stratum_houses[h]} houses are outside the estimate")
    return out
