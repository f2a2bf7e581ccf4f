"""Weekly count series from and alarms to CSV (pure: no Django). Used by ``gridgov detect``.

Input: a CSV (UTF-8, a BOM is fine) with at least the columns ``series_id,week_start,count``;
other columns are ignored. Row numbers in errors count the header as row 1, as a spreadsheet does.
Every problem is collected (missing column, empty series id, unparseable date, negative or
non-integer count, duplicate week, weeks that do not start on the same weekday) and reported at
once. Weeks missing between a series' first and last row count as 0 incidents; before its first
row a series does not exist yet (not evaluated).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from gridgov.core.spreadsheet import csv_field
from gridgov.safety import detect

REQUIRED = ("series_id", "week_start", "count")
OUTPUT = ("series_id", "week_start", "observed", "expected", "threshold", "level", "alarm")
MAX_REPORTED = 200


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.column}: {self.message}"


class CountsError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the counts file")


@dataclass
class CountTable:
    series_ids: list[str]
    weeks: list[date]  # consecutive week starts, 7 days apart
    counts: np.ndarray  # (series, weeks) float, NaN outside each series' span
    problems: list[Problem] = field(default_factory=list)


def _parse_date(text: str) -> date | None:
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_count(text: str) -> tuple[int | None, str | None]:
    text = text.strip()
    if not text:
        return None, "is empty; expected a whole number of incidents >= 0"
    try:
        value = float(text)
    except ValueError:
        return None, f"{text!r} is not a number; expected a whole number >= 0"
    if not math.isfinite(value):
        return None, f"{text!r} is not a finite number"
    if value != int(value):
        return None, f"{text!r} is not a whole number (counts are integers)"
    if value < 0:
        return None, f"{text!r} is negative (counts are >= 0)"
    return int(value), None


def read_counts(text: str) -> CountTable:
    """Parse and validate; raises ``CountsError`` listing every problem."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise CountsError([Problem(None, "file", "is empty; expected a header series_id,week_start,count")]) from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise CountsError([Problem(1, c, f"missing column (the header has: {', '.join(header) or 'nothing'})")
                           for c in missing])
    col = {c: names.index(c) for c in REQUIRED}
    records = list(reader)
    table = _read_clean(records, col, len(header))
    if table is not None:
        return table
    problems: list[Problem] = []
    seen: dict[tuple[str, date], int] = {}
    rows: list[tuple[str, date, int]] = []
    first_date: tuple[date, int] | None = None
    for rownum, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) < len(header):
            record = record + [""] * (len(header) - len(record))
        sid = record[col["series_id"]].strip()
        ok = True
        if not sid:
            problems.append(Problem(rownum, "series_id", "is empty"))
            ok = False
        raw_date = record[col["week_start"]]
        week = _parse_date(raw_date)
        if week is None:
            problems.append(Problem(rownum, "week_start", f"{raw_date.strip()!r} is not a date (expected YYYY-MM-DD)"))
            ok = False
        count, why = _parse_count(record[col["count"]])
        if why:
            problems.append(Problem(rownum, "count", why))
            ok = False
        if week is not None:
            if first_date is None:
                first_date = (week, rownum)
            elif (week - first_date[0]).days % 7:
                problems.append(Problem(rownum, "week_start",
                                        f"{week.isoformat()} is not a whole number of weeks from "
                                        f"{first_date[0].isoformat()} (row {first_date[1]}); every week must "
                                        "start on the same weekday"))
                ok = False
        if sid and week is not None:
            key = (sid, week)
            if key in seen:
                problems.append(Problem(rownum, "week_start",
                                        f"duplicate week {week.isoformat()} for series {sid!r} (also row {seen[key]})"))
                ok = False
            else:
                seen[key] = rownum
        if ok and week is not None and count is not None:  # ok: both parsed
            rows.append((sid, week, count))
    if problems:
        raise CountsError(problems)
    if not rows:
        raise CountsError([Problem(None, "file", "has a header but no data rows")])
    return build_table(rows)


def _read_clean(records: list[list[str]], col: dict[str, int], width: int) -> CountTable | None:
    """The table when every record is complete and valid, checked column by column (each distinct
    date or count text is parsed once); None at the first doubt, and ``read_counts`` then goes
    through the rows one by one to name every problem."""
    if not records or any(len(r) != width for r in records):
        return None
    series = [r[col["series_id"]].strip() for r in records]
    if not all(series):
        return None
    ordinals: dict[str, int] = {}
    for text in {r[col["week_start"]] for r in records}:
        week = _parse_date(text)
        if week is None:
            return None
        ordinals[text] = week.toordinal()
    values: dict[str, int] = {}
    for text in {r[col["count"]] for r in records}:
        value, why = _parse_count(text)
        if why or value is None:
            return None
        values[text] = value
    days = np.fromiter((ordinals[r[col["week_start"]]] for r in records), dtype=np.int64, count=len(records))
    counts = np.fromiter((values[r[col["count"]]] for r in records), dtype=float, count=len(records))
    if ((days - days[0]) % 7).any():
        return None
    table = _build(series, days, counts)
    if table is None:  # a duplicate (series, week)
        return None
    return table


def build_table(rows: list[tuple[str, date, int]]) -> CountTable:
    """Rows (series, week start, count) -> a dense matrix on a common weekly axis."""
    days = np.fromiter((r[1].toordinal() for r in rows), dtype=np.int64, count=len(rows))
    counts = np.fromiter((r[2] for r in rows), dtype=float, count=len(rows))
    table = _build([r[0] for r in rows], days, counts)
    if table is None:
        raise ValueError("duplicate (series, week) rows")
    return table


def _build(series: list[str], days: np.ndarray, counts: np.ndarray) -> CountTable | None:
    """Columns (series id, day ordinal of the week start, count) -> the table, or None when a
    (series, week) repeats."""
    series_ids = sorted(set(series))
    index = {s: i for i, s in enumerate(series_ids)}
    si = np.fromiter((index[s] for s in series), dtype=np.int64, count=len(series))
    origin = int(days.min())
    wi = (days - origin) // 7
    n_weeks = int(wi.max()) + 1
    cell = si * n_weeks + wi
    if len(np.unique(cell)) != len(cell):
        return None
    table = np.zeros((len(series_ids), n_weeks))
    table[si, wi] = counts
    first = np.full(len(series_ids), n_weeks)
    np.minimum.at(first, si, wi)
    last = np.full(len(series_ids), -1)
    np.maximum.at(last, si, wi)
    span = np.arange(n_weeks)[None, :]
    table[(span < first[:, None]) | (span > last[:, None])] = np.nan
    start = date.fromordinal(origin)
    weeks = [start + timedelta(days=7 * i) for i in range(n_weeks)]
    return CountTable(series_ids=series_ids, weeks=weeks, counts=table)


@dataclass
class Alarms:
    table: CountTable
    result: detect.Detection
    levels: np.ndarray  # level index per result cell
    alarm: np.ndarray  # bool per result cell

    @property
    def evaluated(self) -> int:
        return int(self.result.evaluated.sum())

    @property
    def alarms(self) -> int:
        return int(self.alarm.sum())


def since_index(table: CountTable, since: date | None) -> int:
    """Index of the first week starting on or after ``since`` (the number of weeks when none does)."""
    if since is None:
        return 0
    days = (since - table.weeks[0]).days
    return min(max(0, -(-days // 7)), len(table.weeks))


def run(table: CountTable, *, method: str = "auto", alpha: float = 0.01,
        cutoffs: dict[str, detect.Cutoffs] | None = None, since: date | None = None) -> Alarms:
    """Detect on every series; levels from the calibrated cut-offs of the method used per cell.
    With ``since``, only the weeks starting on or after it are evaluated (the earlier ones are
    still their history)."""
    cutoffs = cutoffs or detect.CALIBRATED
    first = since_index(table, since)
    if method == "auto":
        result, which = detect.detect_auto(table.counts, alpha=alpha, since=first)
        levels = np.full(result.pvalue.shape, detect.NO_BASELINE, dtype=np.int8)
        for i, name in enumerate(("farrington", "ewma", "c1")):
            m = which == i
            graded = detect.grade(result.pvalue, result.expected, cutoffs[name], result.suppressed)
            levels[m] = graded[m]
    else:
        result = detect.detect(table.counts, method, alpha=alpha, since=first)
        levels = detect.grade(result.pvalue, result.expected, cutoffs[result.method], result.suppressed)
    return Alarms(table=table, result=result, levels=levels, alarm=result.alarm(alpha))


def _fmt(x: float) -> str:
    text = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text



def write_alarms(alarms: Alarms, out, *, header: bool = True) -> int:
    """Write one row per evaluated (series, week), in series then week order. Returns rows.
    The rows are formatted as whole columns (as csv.writer would write them) and written at once;
    ``header=False`` for the second and later blocks of :func:`run_blocks`."""
    res = alarms.result
    si, pj = np.nonzero(res.evaluated)
    series = [csv_field(s) for s in alarms.table.series_ids]
    weeks = [w.isoformat() for w in alarms.table.weeks]
    names = np.array(["grey", *detect.LEVELS], dtype=object)
    columns = (
        [series[s] for s in si.tolist()],
        [weeks[k] for k in res.periods[pj].tolist()],
        [str(int(v)) for v in res.observed[si, pj].tolist()],
        [_fmt(v) for v in res.expected[si, pj].tolist()],
        [_fmt(v) for v in res.threshold[si, pj].tolist()],
        names[alarms.levels[si, pj] + 1].tolist(),
        ["1" if a else "0" for a in alarms.alarm[si, pj].tolist()],
    )
    if header:
        out.write(",".join(OUTPUT) + "\n")
    block = 100_000
    for lo in range(0, len(si), block):
        out.write("".join(",".join(row) + "\n" for row in zip(*(c[lo:lo + block] for c in columns), strict=True)))
    return len(si)


# --- streaming: compact reading, detection by blocks of series --------------------------------------

#: rows parsed per batch when streaming a file (each batch is checked column by column, then kept
#: as three small integer arrays).
READ_BATCH = 200_000
#: cells (series x weeks) detected per block: about 1,000 series of 5 years; a block's working
#: memory is some tens of MB whatever the size of the file.
BLOCK_CELLS = 260_000


@dataclass
class CompactTable:
    """The counts of a clean file as one int32 matrix (series x weeks, -1 where a series has no row),
    series in sorted order; 4 bytes per cell instead of the parsed rows' ~490 bytes per row."""

    series_ids: list[str]
    weeks: list[date]
    cells: np.ndarray  # (series, weeks) int32, -1: no row

    def block(self, lo: int, hi: int) -> CountTable:
        """Series ``lo`` … ``hi - 1`` as the float table :func:`run` takes (NaN outside each series'
        span, 0 for a week missing inside it), on the same weekly axis."""
        c = self.cells[lo:hi]
        present = c >= 0
        n_weeks = c.shape[1]
        first = present.argmax(axis=1)
        last = n_weeks - 1 - present[:, ::-1].argmax(axis=1)
        counts = np.maximum(c, 0).astype(float)
        span = np.arange(n_weeks)[None, :]
        counts[(span < first[:, None]) | (span > last[:, None])] = np.nan
        return CountTable(series_ids=self.series_ids[lo:hi], weeks=self.weeks, counts=counts)


#: characters read at a time by the vectorised reader (whole lines are parsed, the rest carried)
READ_CHARS = 8 << 20


#: bytes of zeros around a chunk, so that a window of up to this many bytes from any field stays inside
_PAD = 256
#: MASKS[k]: the low k bytes of a little-endian 64-bit word
_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
#: the positions of the dashes in YYYY-MM-DD
_DASH = np.array([k in (4, 7) for k in range(10)])


def _fast_columns(data: bytes, width: int, cols: tuple[int, int, int]
                  ) -> tuple[list[str], np.ndarray, list[str], np.ndarray, np.ndarray] | None:
    """The series, week and count columns of ``data`` (whole lines, each ending in a newline) split
    and parsed with NumPy, when every line is in the plain form: exactly ``width - 1`` commas, no
    quote, carriage return or NUL, a series id without surrounding whitespace, a 10-character
    week, a count of 1-9 digits. Returns (unique series ids, index of each row's id, unique week
    texts, index of each row's week, counts), or None: the caller then parses with the csv module,
    which gives the same rows for a plain chunk (tests/safety/test_detect_stream.py).

    Every step works on whole columns of small integers: the ids are compared with the row before
    as 64-bit words (rows of one series usually follow each other, so only the first row of a run
    is looked up), the weeks become YYYYMMDD integers whose few distinct values are found with a
    table over their range (no sort), the counts are summed digit column by digit column."""
    if not data or b'"' in data or b"\r" in data or b"\x00" in data:
        return None
    arr = np.frombuffer(data, dtype=np.uint8)
    stops: np.ndarray = np.flatnonzero((arr == 44) | (arr == 10))  # commas and line ends, in order
    if len(stops) % width or not len(stops) or stops[-1] != len(arr) - 1:
        return None
    stops = stops.reshape(-1, width)  # each line: width - 1 commas, then its end
    n = len(stops)
    if (arr[stops[:, -1]] != 10).any() or (width > 1 and (arr[stops[:, :-1]] != 44).any()):
        return None
    padded = np.zeros(len(arr) + 2 * _PAD, dtype=np.uint8)
    padded[_PAD:-_PAD] = arr
    windows = np.lib.stride_tricks.sliding_window_view(padded, _PAD)

    def field(i: int) -> tuple[np.ndarray, np.ndarray]:
        if i:
            return stops[:, i - 1] + 1, stops[:, i]
        lo = np.zeros(n, dtype=np.int64)
        lo[1:] = stops[:-1, -1] + 1
        return lo, stops[:, 0]

    def window(lo: np.ndarray, size: int) -> np.ndarray:
        """(rows, size) copy of the bytes from ``lo`` on (a strided view, no index matrix)."""
        return windows[lo + _PAD, :size]

    ci, wi, ni = cols
    lo, hi = field(ci)
    length = hi - lo
    size = -(-int(length.max()) // 8) * 8
    if int(length.min()) < 1 or size > _PAD:
        return None
    raw = window(lo, size)
    words = raw.view("<u8")  # byte j of the id is byte j % 8 of word j // 8
    for k in range(words.shape[1]):  # keep the id's own bytes only
        words[:, k] &= _MASKS[np.clip(length - 8 * k, 0, 8)]
    head = np.ones(n, dtype=bool)
    changed = head[1:]
    np.not_equal(words[1:, 0], words[:-1, 0], out=changed)
    for k in range(1, words.shape[1]):
        changed |= words[1:, k] != words[:-1, k]
    heads = np.flatnonzero(head)
    ids, id_of_head = np.unique(raw[heads].view(f"S{size}").ravel(), return_inverse=True)
    id_of = id_of_head.ravel()[np.cumsum(head) - 1]
    series = [b.decode("utf-8") for b in ids.tolist()]
    if any(s != s.strip() for s in series):
        return None
    lo, hi = field(wi)
    if ((hi - lo) != 10).any():
        return None
    w = window(lo, 10)
    w -= 48  # digits 0-9; anything else wraps to a larger byte, a dash to 253
    if ((w > 9) != _DASH).any() or (w[:, 4] != 253).any() or (w[:, 7] != 253).any():
        return None
    key = w[:, 0].astype(np.int32)  # YYYYMMDD
    for c in (1, 2, 3, 5, 6, 8, 9):
        key *= 10
        key += w[:, c]
    low = int(key.min())
    span = int(key.max()) - low + 1
    keys: np.ndarray
    week_of: np.ndarray
    if span <= 1 << 22:  # a table over the range: weeks of up to about 400 years
        seen = np.zeros(span, dtype=bool)
        seen[key - low] = True
        keys = np.flatnonzero(seen)
        week_of = (np.cumsum(seen, dtype=np.int32) - 1)[key - low]
        keys += low
    else:
        keys, week_of = np.unique(key, return_inverse=True)
    texts = [f"{k // 10000:04d}-{k // 100 % 100:02d}-{k % 100:02d}" for k in keys.tolist()]
    lo, hi = field(ni)
    length = hi - lo
    size = int(length.max())
    if int(length.min()) < 1 or size > 9:
        return None
    digits = window(hi - size, size)  # right-aligned: the last column is the units
    digits -= 48
    values = np.zeros(n, dtype=np.int32)  # 9 digits fit
    for k in range(size):
        inside = length >= size - k  # column k holds a digit of this row's count
        column = np.where(inside, digits[:, k], 0)
        if (column > 9).any():
            return None
        values *= 10
        values += column
    return series, id_of, texts, week_of.ravel(), values


def _plain_chunks(fh, width: int, cols: tuple[int, int, int], index: dict[str, int], ordinals: dict[str, int]
                  ) -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray]], str | None, bool]:
    """Read ``fh`` by :data:`READ_CHARS` and parse the plain chunks with :func:`_fast_columns`.
    Returns (parts, rest, ok): ``rest`` is the text from the first chunk that is not plain (the
    csv module reads it and the rest of ``fh``), None at the end of the file; ``ok`` False: a bad
    week or count (the caller gives up, as the csv path does)."""
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    carry = ""
    while True:
        text = fh.read(READ_CHARS)
        chunk = carry + text
        if not text:
            if not chunk:
                return parts, None, True
            if not chunk.endswith("\n"):
                chunk += "\n"
            carry = ""
        else:
            cut = chunk.rfind("\n") + 1
            chunk, carry = chunk[:cut], chunk[cut:]
            if not chunk:
                continue
        parsed = _fast_columns(chunk.encode("utf-8"), width, cols)
        if parsed is None:  # the csv module takes lines: complete the carried partial one
            return parts, chunk + carry + (fh.readline() if carry else ""), True
        series, id_of, weeks, week_of, values = parsed
        for week in set(weeks).difference(ordinals):
            day = _parse_date(week)
            if day is None:
                return parts, None, False
            ordinals[week] = day.toordinal()
        if int(values.max(initial=0)) > 2**31 - 1:
            return parts, None, False
        ids = np.fromiter((index.setdefault(s, len(index)) for s in series), dtype=np.int32, count=len(series))
        days = np.fromiter((ordinals[w] for w in weeks), dtype=np.int32, count=len(weeks))
        parts.append((ids[id_of], days[week_of], values.astype(np.int32, copy=False)))
        if not text:
            return parts, None, True


def read_compact(fh) -> CompactTable | None:
    """Stream a clean counts file (a text handle, BOM already removed) into a :class:`CompactTable`,
    batch by batch; None at the first doubt (bad or incomplete row, duplicate, a count above 2^31 - 1,
    other weekday): the caller then reads the file row by row with :func:`read_counts`, which names
    every problem. Peak memory: one batch of parsed rows plus 12 bytes per row. Plain lines (the
    usual export) are split and parsed with NumPy (:func:`_fast_columns`), by chunks; from the
    first chunk that is not plain on, the csv module reads the rest."""
    header_line = fh.readline()
    header = next(csv.reader([header_line]), None) if header_line else None
    if header is None:
        return None
    names = [h.strip().lower() for h in header]
    if any(c not in names for c in REQUIRED):
        return None
    ci, wi_, ni = (names.index(c) for c in REQUIRED)
    width = len(header)
    index: dict[str, int] = {}
    ordinals: dict[str, int] = {}
    values: dict[str, int] = {}
    limit = 2**31 - 1
    parts, rest, ok = _plain_chunks(fh, width, (ci, wi_, ni), index, ordinals)
    if not ok:
        return None
    reader = csv.reader(itertools.chain(io.StringIO(rest), fh)) if rest is not None else iter(())
    while True:
        batch = list(itertools.islice(reader, READ_BATCH))
        if not batch:
            break
        records = [r for r in batch if r]  # blank lines are skipped, as read_counts skips them
        del batch
        if not records:
            continue
        if any(len(r) != width for r in records):
            return None
        series = [r[ci].strip() for r in records]
        if not all(series):
            return None
        for text in {r[wi_] for r in records}.difference(ordinals):
            week = _parse_date(text)
            if week is None:
                return None
            ordinals[text] = week.toordinal()
        for text in {r[ni] for r in records}.difference(values):
            value, why = _parse_count(text)
            if why or value is None or value > limit:
                return None
            values[text] = value
        n = len(records)
        parts.append((np.fromiter((index.setdefault(s, len(index)) for s in series), dtype=np.int32, count=n),
                      np.fromiter((ordinals[r[wi_]] for r in records), dtype=np.int32, count=n),
                      np.fromiter((values[r[ni]] for r in records), dtype=np.int32, count=n)))
        del records, series
    if not parts:
        return None
    origin = min(int(p[1].min()) for p in parts)
    if any(((p[1] - origin) % 7).any() for p in parts):
        return None
    n_weeks = (max(int(p[1].max()) for p in parts) - origin) // 7 + 1
    series_ids = sorted(index)
    rank = np.empty(len(index), dtype=np.int32)
    rank[np.fromiter((index[s] for s in series_ids), dtype=np.int64, count=len(series_ids))] = \
        np.arange(len(series_ids), dtype=np.int32)
    del index
    cells = np.full((len(series_ids), n_weeks), -1, dtype=np.int32)
    rows = 0
    while parts:
        si, days, counts = parts.pop(0)
        cells[rank[si], (days - origin) // 7] = counts
        rows += len(si)
    if int(np.count_nonzero(cells >= 0)) != rows:  # a (series, week) repeats
        return None
    start = date.fromordinal(origin)
    return CompactTable(series_ids=series_ids, weeks=[start + timedelta(days=7 * i) for i in range(n_weeks)],
                        cells=cells)


@dataclass
class BlockSummary:
    series: int = 0
    weeks: int = 0
    rows: int = 0
    alarms: int = 0


def run_blocks(table: CompactTable | CountTable, out, *, method: str = "auto", alpha: float = 0.01,
               since: date | None = None, block_cells: int | None = None) -> BlockSummary:
    """Detect and write block by block of series (each block computed, written and released); the
    rows and their order are those of ``write_alarms(run(whole table))``: every series is detected
    on its own history, on the same weekly axis."""
    n_series, n_weeks = len(table.series_ids), len(table.weeks)
    step = max(1, (block_cells or BLOCK_CELLS) // max(n_weeks, 1))
    summary = BlockSummary(series=n_series, weeks=n_weeks)
    for lo in range(0, n_series, step):
        hi = min(lo + step, n_series)
        if isinstance(table, CompactTable):
            part = table.block(lo, hi)
        else:
            part = CountTable(series_ids=table.series_ids[lo:hi], weeks=table.weeks, counts=table.counts[lo:hi])
        alarms = run(part, method=method, alpha=alpha, since=since)
        summary.rows += write_alarms(alarms, out, header=lo == 0)
        summary.alarms += alarms.alarms
    if n_series == 0:
        out.write(",".join(OUTPUT) + "\n")
    return summary
