"""`gridgov detect` on the documented example, on bad input, and without any database."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from gridgov import cli
from gridgov.safety import countsio
from tests.pure_cli import run_without_django

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "detect-cli.md"


def _doc_block(marker: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- example:{marker} -->\s*```\n(.*?)```", text, re.S)
    assert match, f"docs/detect-cli.md has no {marker} example"
    return match.group(1)


def _main(argv, monkeypatch, capsys):
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_documented_example(tmp_path, monkeypatch, capsys):
    counts = tmp_path / "counts.csv"
    counts.write_text(_doc_block("input"), encoding="utf-8")
    code, out, err = _main(["detect", "--input", str(counts), "--method", "c1"], monkeypatch, capsys)
    assert code == 0
    assert out == _doc_block("output")
    assert "1 alarms" in err
    target = tmp_path / "alarms.csv"
    code, _, _ = _main(["detect", "-i", str(counts), "-o", str(target), "--method", "c1"], monkeypatch, capsys)
    assert code == 0 and target.read_text(encoding="utf-8") == _doc_block("output")


def _problems(text: str) -> list[str]:
    with pytest.raises(countsio.CountsError) as exc:
        countsio.read_counts(text)
    return [str(p) for p in exc.value.problems]


def test_missing_column_is_named():
    assert _problems("series_id,week_start,n\nA,2024-01-01,3\n") == [
        "row 1, count: missing column (the header has: series_id, week_start, n)"]
    assert len(_problems("id,date\n")) == 3
    assert _problems("") == ["file: is empty; expected a header series_id,week_start,count"]


@pytest.mark.parametrize("row, expected", [
    ("A,2024-01-08,-1", "row 3, count: '-1' is negative (counts are >= 0)"),
    ("A,2024-01-08,2.5", "row 3, count: '2.5' is not a whole number (counts are integers)"),
    ("A,2024-01-08,three", "row 3, count: 'three' is not a number; expected a whole number >= 0"),
    ("A,2024-01-08,", "row 3, count: is empty; expected a whole number of incidents >= 0"),
    ("A,2024/01/08,1", "row 3, week_start: '2024/01/08' is not a date (expected YYYY-MM-DD)"),
    ("A,2024-02-30,1", "row 3, week_start: '2024-02-30' is not a date (expected YYYY-MM-DD)"),
    ("A,2024-01-01,4", "row 3, week_start: duplicate week 2024-01-01 for series 'A' (also row 2)"),
    ("A,2024-01-09,4", "row 3, week_start: 2024-01-09 is not a whole number of weeks from 2024-01-01 (row 2); "
                       "every week must start on the same weekday"),
    (",2024-01-08,4", "row 3, series_id: is empty"),
])
def test_bad_rows_give_specific_errors(row, expected):
    assert _problems(f"series_id,week_start,count\nA,2024-01-01,3\n{row}\n") == [expected]


def test_every_problem_is_reported_and_nothing_written(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("series_id,week_start,count\nA,2024-01-01,-2\nA,2024-01-01,x\nB,someday,1\n", encoding="utf-8")
    target = tmp_path / "alarms.csv"
    code, out, err = _main(["detect", "-i", str(bad), "-o", str(target)], monkeypatch, capsys)
    assert code == 1 and not target.exists()
    assert "4 problem(s)" in err
    for text in ("row 2, count", "row 3, count", "row 3, week_start: duplicate", "row 4, week_start"):
        assert text in err
    code, _, err = _main(["detect", "-i", str(tmp_path / "missing.csv")], monkeypatch, capsys)
    assert code == 2 and "cannot read" in err


def test_gaps_count_as_zero_and_series_may_start_later():
    table = countsio.read_counts("series_id,week_start,count\nA,2024-01-01,1\nA,2024-01-22,2\n"
                                 "B,2024-01-15,5\nA,2024-01-29,0\n")
    assert table.series_ids == ["A", "B"] and len(table.weeks) == 5
    assert table.counts[0].tolist()[:5] == [1, 0, 0, 2, 0]
    b = table.counts[1]
    assert str(b[:2].tolist()) == "[nan, nan]" and b[2] == 5 and str(b[3]) == "nan"


def test_auto_uses_farrington_with_three_years(tmp_path):
    import numpy as np

    rng = np.random.default_rng(3)
    lines = ["series_id,week_start,count"]
    from datetime import date, timedelta

    for s in ("long", "short"):
        n = 200 if s == "long" else 30
        for i, c in enumerate(rng.poisson(6, n)):
            lines.append(f"{s},{(date(2021, 1, 4) + timedelta(weeks=i + 200 - n)).isoformat()},{c}")
    alarms = countsio.run(countsio.read_counts("\n".join(lines)))
    out = io.StringIO()
    rows = countsio.write_alarms(alarms, out)
    # long: farrington from week 159, EWMA 13..158, C1 7..12 -> weeks 7..199; short: EWMA/C1 from its 8th week
    assert rows == (200 - 7) + (30 - 7)
    _, which = __import__("gridgov.safety.detect", fromlist=["x"]).detect_auto(alarms.table.counts)
    assert (which[0, 159:] == 0).all() and (which[0, 13:159] == 1).all() and (which[0, 7:13] == 2).all()


def test_runs_without_a_database_or_django(tmp_path):
    counts = tmp_path / "counts.csv"
    counts.write_text(_doc_block("input"), encoding="utf-8")
    done = run_without_django(['detect', '--input', str(counts), '--method', 'c1'])
    assert done.returncode == 0, done.stderr
    assert done.stdout == _doc_block("output")


def test_detect_help_does_not_import_django(tmp_path):
    """`gridgov detect --help` through the entry point: the help is printed, Django never imported."""
    script = (
        "import sys\n"
        "from gridgov import cli\n"
        "code = cli.main(['detect', '--help'])\n"
        "print('DJANGO', sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
        "print('DETECT', 'gridgov.safety.detect_cli' in sys.modules)\n"
        "sys.exit(code)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "GRIDGOV"))}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: gridgov detect")
    assert "\nDJANGO []\nDETECT True\n" in done.stdout


@pytest.mark.django_db
def test_safety_scan_runs_detection_on_the_database(monkeypatch, capsys, roles):
    code, out, _ = _main(["safety-scan", "--weeks", "2"], monkeypatch, capsys)
    assert code == 0 and "个序列" in out and "热点网格" in out  # (zh-hans, the default)


def _weekly_csv(series: dict[str, list[int]], first=(2021, 1, 4)) -> str:
    from datetime import date, timedelta

    start = date(*first)
    lines = ["series_id,week_start,count"]
    for sid, counts in series.items():
        lines += [f"{sid},{(start + timedelta(weeks=i)).isoformat()},{c}" for i, c in enumerate(counts)]
    return "\n".join(lines) + "\n"


def test_since_writes_only_recent_weeks_with_the_same_values(tmp_path, monkeypatch, capsys):
    import numpy as np

    rng = np.random.default_rng(21)
    counts = tmp_path / "counts.csv"
    counts.write_text(_weekly_csv({"long": rng.poisson(5, 200).tolist(), "short": rng.poisson(3, 40).tolist()}),
                      encoding="utf-8")
    code, full, _ = _main(["detect", "-i", str(counts)], monkeypatch, capsys)
    assert code == 0
    # 2024-08-26 is week 191 (of 200) from 2021-01-04; after 2024-08-28 (a Wednesday) comes 2024-09-02
    for since, first_week in (("2024-08-26", "2024-08-26"), ("2024-08-28", "2024-09-02")):
        code, out, err = _main(["detect", "-i", str(counts), "--since", since], monkeypatch, capsys)
        assert code == 0, err
        header, *rows = out.splitlines()
        expected = [r for r in full.splitlines()[1:] if r.split(",")[1] >= first_week]
        assert header == full.splitlines()[0] and rows == expected
        assert len(rows) == 200 - 190 - (first_week != since) and rows[0].split(",")[1] == first_week
        assert f"{len(rows)} evaluated rows" in err
    code, out, _ = _main(["detect", "-i", str(counts), "--since", "2030-01-07"], monkeypatch, capsys)
    assert code == 0 and out.splitlines() == full.splitlines()[:1]
    code, _, err = _main(["detect", "-i", str(counts), "--since", "yesterday"], monkeypatch, capsys)
    assert code == 2 and "--since" in err and "yesterday" in err


def test_series_ids_are_quoted_as_csv_needs():
    table = countsio.read_counts(_weekly_csv({'"A, north"': [3] * 9, "B": [1] * 9}).replace(
        '"A, north"', '"""A, north"""'))
    assert table.series_ids == ['"A, north"', "B"]
    out = io.StringIO()
    countsio.write_alarms(countsio.run(table, method="c1"), out)
    lines = out.getvalue().splitlines()
    assert lines[1].startswith('"""A, north""",2021-02-22,3,3,') and lines[-1].startswith("B,2021-03-01,1,1,")


def test_clean_files_read_column_by_column_match_the_row_by_row_reading():
    text = ("series_id,week_start,count,note\n"
            " B ,2024-01-15,2,x\nA,2024-01-01, 1 ,\nA,2024-01-22,3.0,\nB,2024-01-08,0,\n")
    fast = countsio.read_counts(text)
    slow = countsio.build_table([("B", date(2024, 1, 15), 2), ("A", date(2024, 1, 1), 1),
                                 ("A", date(2024, 1, 22), 3), ("B", date(2024, 1, 8), 0)])
    assert fast.series_ids == slow.series_ids == ["A", "B"]
    assert fast.weeks == slow.weeks == [date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 15), date(2024, 1, 22)]
    assert str(fast.counts.tolist()) == str(slow.counts.tolist()) == "[[1.0, 0.0, 0.0, 3.0], [nan, 0.0, 2.0, nan]]"
    # a blank line and a short row fall back to the row-by-row reading, with the same result
    again = countsio.read_counts(text.replace("\nA,2024-01-22,3.0,\n", "\n\nA,2024-01-22,3.0\n"))
    assert again.series_ids == fast.series_ids and str(again.counts.tolist()) == str(fast.counts.tolist())


def test_series_id_that_looks_like_a_formula_is_written_as_text(tmp_path, monkeypatch, capsys):
    """Formula injection (issue 15, finding 1): the alarms CSV is opened in Excel by analysts."""
    import csv

    weeks = [date(2024, 1, 1).toordinal() + 7 * k for k in range(12)]
    rows = [f'"=HYPERLINK(""http://evil.example/"",""x"")",{date.fromordinal(w).isoformat()},{k % 3}'
            for k, w in enumerate(weeks)]
    rows += [f"@SUM(A1),{date.fromordinal(w).isoformat()},1" for w in weeks]
    counts = tmp_path / "counts.csv"
    counts.write_text("series_id,week_start,count\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, out, _ = _main(["detect", "--input", str(counts), "--method", "c1"], monkeypatch, capsys)
    assert code == 0
    ids = {row["series_id"] for row in csv.DictReader(io.StringIO(out))}
    assert ids == {"'=HYPERLINK(\"http://evil.example/\",\"x\")", "'@SUM(A1)"}
