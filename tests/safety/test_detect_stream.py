"""`gridgov detect` streams: the file is read in batches into a compact matrix and detected by
blocks of series; the output is byte for byte that of the whole-table path (read_counts + run +
write_alarms on all the data at once), whatever the block and batch sizes."""

from __future__ import annotations

import io
import sys
from datetime import date, timedelta

import numpy as np
import pytest

from gridgov import cli
from gridgov.safety import countsio


def _dataset(n_series: int = 45, n_weeks: int = 180, seed: int = 16) -> str:
    """Poisson series with a season, some starting late, some with missing weeks (gaps count as 0)
    and a few outbreaks; rows shuffled so the file is not in series order."""
    rng = np.random.default_rng(seed)
    first = date(2021, 1, 4)
    rows = []
    for s in range(n_series):
        sid = f"3101010010{s % 7:02d}-{s:02d}" if s % 5 else f"区{s}"
        start = int(rng.integers(0, 120)) if s % 4 == 0 else 0
        mu = rng.uniform(0.5, 8) * (1 + 0.3 * np.cos(2 * np.pi * np.arange(n_weeks) / 52))
        y = rng.poisson(mu)
        if s % 6 == 0:
            y[-3:] += rng.integers(5, 15, 3)
        for w in range(start, n_weeks):
            if w > start and rng.random() < 0.05:
                continue  # a missing week
            rows.append(f"{sid},{(first + timedelta(weeks=w)).isoformat()},{int(y[w])}")
    order = rng.permutation(len(rows))
    return "series_id,week_start,count\n" + "\n".join(rows[i] for i in order) + "\n"


def _whole(text: str, **kw) -> str:
    out = io.StringIO()
    countsio.write_alarms(countsio.run(countsio.read_counts(text), **kw), out)
    return out.getvalue()


@pytest.mark.parametrize("method", ["auto", "farrington", "ewma", "c1", "c3"])
def test_blocks_write_what_the_whole_table_writes(method, tmp_path, monkeypatch, capsys):
    text = _dataset()
    expected = _whole(text, method=method)
    assert expected.count("\n") > 500 and ",1\n" in expected  # evaluated rows and some alarms
    path = tmp_path / "counts.csv"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(countsio, "BLOCK_CELLS", 7 * 180)  # 7 series per block: many blocks
    monkeypatch.setattr(countsio, "READ_BATCH", 1000)  # many reading batches
    seen: list[int] = []
    real_run = countsio.run

    def spy(table, **kw):
        seen.append(len(table.series_ids))
        return real_run(table, **kw)

    monkeypatch.setattr(countsio, "run", spy)
    assert cli.main(["detect", "--input", str(path), "--method", method]) == 0
    out = capsys.readouterr()
    assert out.out == expected
    assert seen == [7] * 6 + [3]  # 45 series in blocks of at most 7
    rows = expected.count("\n") - 1
    assert f"45 series, 180 weeks; {rows} evaluated rows ({method})" in out.err


def test_blocks_with_since_and_from_standard_input(monkeypatch, capsys):
    text = _dataset(seed=3)
    expected = _whole(text, since=date(2024, 2, 1))
    monkeypatch.setattr(countsio, "BLOCK_CELLS", 10 * 180)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(("\ufeff" + text).encode()), encoding="utf-8"))
    assert cli.main(["detect", "--input", "-", "--since", "2024-02-01"]) == 0
    out = capsys.readouterr().out
    assert out == expected
    assert min(line.split(",")[1] for line in out.splitlines()[1:]) == "2024-02-05"


def test_compact_table_holds_the_same_counts_as_the_row_reading():
    text = _dataset(n_series=12, n_weeks=40, seed=5)
    table = countsio.read_counts(text)
    compact = countsio.read_compact(io.StringIO(text))
    assert compact is not None and compact.cells.dtype == np.int32
    assert compact.series_ids == table.series_ids and compact.weeks == table.weeks
    block = compact.block(0, len(compact.series_ids))
    np.testing.assert_array_equal(block.counts, table.counts)  # NaN outside spans, 0 in gaps
    # by hand: a series with a gap and a late start
    small = countsio.read_compact(io.StringIO("series_id,week_start,count\nB,2024-01-15,2\nA,2024-01-01,1\n"
                                              "A,2024-01-22,3\n"))
    assert small is not None
    assert small.series_ids == ["A", "B"]
    assert small.cells.tolist() == [[1, -1, -1, 3], [-1, -1, 2, -1]]
    np.testing.assert_array_equal(small.block(0, 2).counts,
                                  [[1, 0, 0, 3], [np.nan, np.nan, 2, np.nan]])
    # blank lines are skipped (as the row-by-row reading skips them), not a reason to fall back
    blank = countsio.read_compact(io.StringIO("series_id,week_start,count\n\nB,2024-01-15,2\n\n\nA,2024-01-01,1\n"
                                              "A,2024-01-22,3\n\n"))
    assert blank is not None and blank.cells.tolist() == small.cells.tolist()


@pytest.mark.parametrize("bad, problem", [
    ("A,2024-01-01,4\n", "row 11, week_start: duplicate week 2024-01-01 for series 'A' (also row 2)"),
    ("A,2024-03-11,2.5\n", "row 11, count: '2.5' is not a whole number (counts are integers)"),
    ("A,2024-03-12,1\n", "row 11, week_start: 2024-03-12 is not a whole number of weeks from 2024-01-01"),
])
def test_a_problem_anywhere_falls_back_to_naming_it(bad, problem, tmp_path, monkeypatch, capsys):
    text = "series_id,week_start,count\n" + "".join(
        f"A,{(date(2024, 1, 1) + timedelta(weeks=i)).isoformat()},{i % 4}\n" for i in range(9)) + bad
    path = tmp_path / "counts.csv"
    path.write_text(text, encoding="utf-8")
    target = tmp_path / "alarms.csv"
    monkeypatch.setattr(countsio, "READ_BATCH", 3)
    assert countsio.read_compact(io.StringIO(text)) is None
    assert cli.main(["detect", "-i", str(path), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert "1 problem(s); nothing written" in err and problem in err
    assert not target.exists()


def test_counts_beyond_int32_take_the_row_by_row_path(tmp_path, capsys):
    text = "series_id,week_start,count\n" + "".join(
        f"A,{(date(2024, 1, 1) + timedelta(weeks=i)).isoformat()},{3_000_000_000 + i}\n" for i in range(9))
    assert countsio.read_compact(io.StringIO(text)) is None
    path = tmp_path / "counts.csv"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["detect", "-i", str(path), "--method", "c1"]) == 0
    out = capsys.readouterr().out
    assert out == _whole(text, method="c1")
    assert out.splitlines()[1].startswith("A,2024-02-19,3000000007,3000000003,")  # C1: mean of the 7 before


def _same_as_row_reading(text: str) -> None:
    table = countsio.read_counts(text)
    compact = countsio.read_compact(io.StringIO(text))
    assert compact is not None
    assert compact.series_ids == table.series_ids and compact.weeks == table.weeks
    np.testing.assert_array_equal(compact.block(0, len(compact.series_ids)).counts, table.counts)


@pytest.mark.parametrize("read_chars", [40, 97, 1 << 20])
def test_the_vectorised_reader_reads_what_the_row_reading_reads(read_chars, monkeypatch):
    """Plain chunks are split with NumPy; from the first chunk that is not plain (quotes, spaces
    around a count, CR LF, an id with a trailing ideographic space) the csv module reads the rest.
    Small chunks cut lines in the middle and switch at different places."""
    monkeypatch.setattr(countsio, "READ_CHARS", read_chars)
    weeks = [(date(2024, 1, 1) + timedelta(weeks=i)).isoformat() for i in range(12)]

    def rows(tag: str = "") -> str:
        return "".join(f"{sid}{tag},{w},{c}\n" for i, w in enumerate(weeks) for sid, c in (
            ("310101001001001-02", i), ("黄浦区-盗窃", 7 * i + 3), ("0042", 1000 + i),
            ("B", "007" if i == 3 else i % 2)))

    plain = rows()
    # not in series order, ids of different lengths and bytes (CJK), a leading-zero count
    _same_as_row_reading("series_id,week_start,count\n" + plain)
    odd = ('"quoted, id",2024-01-01,5\n' + "C, 2024-01-08 ,  4 \r\n" + "D\u3000,2024-01-15,2\n"
           + "E,2024-01-01,1\n")
    _same_as_row_reading("series_id,week_start,count\n" + plain + odd + rows("-2"))
    # the columns in another order, with an extra column
    _same_as_row_reading("week_start,note,count,series_id\n" + "".join(
        f"{w},x,{i},S{i % 3}\n" for i, w in enumerate(weeks)))
    # a file that does not end in a newline
    _same_as_row_reading("series_id,week_start,count\n" + plain.rstrip("\n"))


def test_the_vectorised_reader_gives_up_where_the_row_reading_finds_a_problem(monkeypatch):
    monkeypatch.setattr(countsio, "READ_CHARS", 64)
    head = "series_id,week_start,count\n" + "".join(
        f"A,{(date(2024, 1, 1) + timedelta(weeks=i)).isoformat()},{i}\n" for i in range(6))
    for bad in ("B,2024-13-01,1\n", "B,2024-01-01,x\n", "B,2024-01-01,-1\n", "A,2024-01-01,4\n", "B,2024-01-01\n",
                ",2024-01-01,1\n", "B,2024-01-03,1\n"):
        with pytest.raises(countsio.CountsError):
            countsio.read_counts(head + bad)
        assert countsio.read_compact(io.StringIO(head + bad)) is None, bad


def test_the_vectorised_reader_tells_ids_apart_past_their_first_8_bytes():
    """Ids are compared with the row before as 64-bit words: ids equal in their first 8 or 16
    bytes, or one the prefix of the next, are still different series; weeks centuries apart (beyond
    the table of YYYYMMDD values) are found by sorting instead."""
    ids = ["ABCDEFGH", "ABCDEFGHI", "ABCDEFGHIJKLMNOPQ", "ABCDEFGHIJKLMNOPR", "ABCDEFGH0", "A B&C (1)+#", "A"]
    text = "series_id,week_start,count\n" + "".join(
        f"{sid},{(date(2024, 1, 1) + timedelta(weeks=w)).isoformat()},{k + w}\n"
        for w in range(3) for k, sid in enumerate(ids))
    data = text.split("\n", 1)[1].encode()
    parsed = countsio._fast_columns(data, 3, (0, 1, 2))
    assert parsed is not None  # the vectorised path, not the csv module
    series, id_of, weeks, week_of, values = parsed
    assert series == sorted(set(ids))
    assert [series[i] for i in id_of.tolist()] == ids * 3
    assert weeks == ["2024-01-01", "2024-01-08", "2024-01-15"]
    assert week_of.tolist() == [0] * 7 + [1] * 7 + [2] * 7
    assert values.tolist() == [k + w for w in range(3) for k in range(7)]
    _same_as_row_reading(text)
    far = date(2024, 1, 1) - timedelta(weeks=52 * 450)  # 450 years earlier, the same weekday
    old = "series_id,week_start,count\n" + f"A,{far.isoformat()},3\nB,2024-01-01,4\n"
    parsed = countsio._fast_columns(old.split("\n", 1)[1].encode(), 3, (0, 1, 2))
    assert parsed is not None and parsed[2] == [far.isoformat(), "2024-01-01"] and parsed[3].tolist() == [0, 1]
    compact = countsio.read_compact(io.StringIO(old))
    assert compact is not None and compact.weeks[0] == far and compact.weeks[-1] == date(2024, 1, 1)
    assert compact.cells[0, 0] == 3 and compact.cells[1, -1] == 4 and (compact.cells[:, 1:-1] == -1).all()
