"""`gridgov quality estimate`: the documented example, levels, confidence, many campaigns, every kind of
bad input (with its file, line and reason), and no Django or database at run time."""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pytest

from gridgov import cli
from gridgov.quality import estimateio
from tests.pure_cli import run_without_django

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "quality.md"
VISITS_HEADER = ("campaign_id,stratum,house_id,persons_found,persons_registered,records_checked,"
                 "records_accurate")


def _doc_block(marker: str) -> str:
    match = re.search(rf"<!-- example:{marker} -->\s*```\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, f"docs/quality.md has no {marker} example"
    return match.group(1)


@pytest.fixture
def files(tmp_path):
    frame = tmp_path / "frame.csv"
    visits = tmp_path / "visits.csv"
    frame.write_text(_doc_block("frame"), encoding="utf-8")
    visits.write_text(_doc_block("visits"), encoding="utf-8")
    return frame, visits


def _run(argv, capsys):
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_documented_example(files, tmp_path, capsys):
    frame, visits = files
    code, out, err = _run(["quality", "estimate", "--frame", str(frame), "--visits", str(visits)], capsys)
    assert code == 0, err
    assert out == _doc_block("output")
    assert err.startswith("1 campaign(s), 2 strata, 5 houses visited; 2 rows at level all (0.95 intervals): "
                          "0 met (lower bound >= 90%), 0 not met (upper bound < 90%), 2 uncertain, 0 undefined")
    row = _rows(out)[0]
    # the hand computation of docs/quality.md: 0.8 -+ 1.959964 * sqrt(32.64)/35, clipped at 1
    assert float(row["std_error"]) == pytest.approx(math.sqrt(32.64) / 35, rel=1e-12)
    assert float(row["ci_low"]) == pytest.approx(0.8 - 1.959963984540054 * math.sqrt(32.64) / 35, rel=1e-12)
    assert row["ci_high"] == "1.0"
    target = tmp_path / "out.csv"
    code, out, _ = _run(["quality", "estimate", "--frame", str(frame), "--visits", str(visits), "-o", str(target)],
                        capsys)
    assert code == 0 and out == "" and target.read_text(encoding="utf-8") == _doc_block("output")


def test_grid_level_and_another_confidence(files, capsys):
    frame, visits = files
    code, out, err = _run(["quality", "estimate", "--frame", str(frame), "--visits", str(visits),
                           "--level", "grid", "--confidence", "0.9"], capsys)
    assert code == 0, err
    rows = _rows(out)
    assert [(r["area"], r["indicator"], r["houses_visited"]) for r in rows] == [
        ("310101001001001", "registration_rate", "2"), ("310101001001001", "accuracy_rate", "2"),
        ("310101001001002", "registration_rate", "3"), ("310101001001002", "accuracy_rate", "3")]
    # grid ...001 alone: houses (3 found, 3 registered) and (2, 1); R = 4/5; z = 0.6/25, -0.6/25 (X = 25);
    # v = 10^2 * (1 - 2/10) * 2 * (0.6/25)^2 / 2
    se = math.sqrt(100 * 0.8 * (0.6 / 25) ** 2)
    assert float(rows[0]["estimate"]) == pytest.approx(0.8, abs=1e-15)
    assert float(rows[0]["std_error"]) == pytest.approx(se, rel=1e-12)
    assert float(rows[0]["ci_low"]) == pytest.approx(0.8 - 1.6448536269514722 * se, rel=1e-12)
    # grid ...002's accuracy: 4 of 4 checked records accurate, the others checked none: 1.0 with SE 0
    assert rows[3]["estimate"] == "1.0" and rows[3]["std_error"] == "0.0" and rows[3]["ci_low"] == "1.0"
    assert "(0.9 intervals): 1 met" in err
    code, out, err = _run(["quality", "estimate", "--frame", str(frame), "--visits", str(visits),
                           "--level", "community"], capsys)
    assert code == 0 and [r["area"] for r in _rows(out)] == ["310101001001"] * 2


def test_many_campaigns_are_estimated_independently(files, tmp_path, capsys):
    frame, visits = files
    _, alone, _ = _run(["quality", "estimate", "--frame", str(frame), "--visits", str(visits)], capsys)
    both_frame = tmp_path / "both-frame.csv"
    both_visits = tmp_path / "both-visits.csv"
    # a second campaign "=B, 2" (a name a spreadsheet would run as a formula) on the same strata, with
    # every house fully registered and accurate
    both_frame.write_text(frame.read_text() + '"=B, 2",310101001001001,10\n"=B, 2",310101001001002,6\n')
    both_visits.write_text(visits.read_text() + '"=B, 2",310101001001001,A,3,3,3,3\n'
                           '"=B, 2",310101001001002,C,1,1,1,1\n"=B, 2",310101001001002,D,2,2,2,2\n')
    code, out, err = _run(["quality", "estimate", "--frame", str(both_frame), "--visits", str(both_visits)], capsys)
    assert code == 0, err
    lines = out.splitlines(keepends=True)
    assert "".join(lines[:3]) == alone
    assert lines[3:] == ['"\'=B, 2",all,registration_rate,1.0,1.0,1.0,0.0,3\n',
                         '"\'=B, 2",all,accuracy_rate,1.0,1.0,1.0,0.0,3\n']
    assert ("note: campaign '=B, 2', stratum '310101001001001': one house visited; its variance uses the "
            "lonely-house rule") in err


def test_notes_name_strata_without_visits(files, tmp_path, capsys):
    frame, visits = files
    frame.write_text(frame.read_text() + "C1,310101001002001,40\n")
    code, out, err = _run(["quality", "estimate", "--frame", str(frame), "--visits", str(visits),
                           "--level", "community"], capsys)
    assert code == 0
    assert _rows(out)[2:] == [
        {"campaign_id": "C1", "area": "310101001002", "indicator": ind, "estimate": "", "ci_low": "",
         "ci_high": "", "std_error": "", "houses_visited": "0"} for ind in ("registration_rate", "accuracy_rate")]
    assert (f"note: campaign 'C1', stratum '310101001002001': no house visited in {visits}; its 40 houses are "
            "outside the estimate") in err


FRAME = "campaign_id,stratum,houses\nC1,310101001001001,10\nC1,310101001001002,6\n"
VISITS = f"{VISITS_HEADER}\nC1,310101001001001,A,3,3,3,2\nC1,310101001001002,C,4,4,4,4\n"


def _problems(frame: str, visits: str, level: str = "all") -> list[str]:
    with pytest.raises(estimateio.InputError) as exc:
        estimateio.read_campaigns(frame, visits, level=level)
    return [str(p) for p in exc.value.problems]


def test_missing_columns_are_named():
    assert _problems("campaign_id,stratum,n\nC1,1,2\n", VISITS) == [
        "FRAME.csv: line 1, houses: missing column (the header has: campaign_id, stratum, n)"]
    assert _problems(FRAME, VISITS.replace(",records_accurate", ",accurate")) == [
        "VISITS.csv: line 1, records_accurate: missing column (the header has: campaign_id, stratum, house_id, "
        "persons_found, persons_registered, records_checked, accurate)"]
    assert _problems("", "") == [
        "FRAME.csv: file: is empty; expected a header campaign_id,stratum,houses",
        f"VISITS.csv: file: is empty; expected a header {VISITS_HEADER}"]


@pytest.mark.parametrize("row, expected", [
    ("C1,310101001001001,B,-1,0,0,0", "VISITS.csv: line 4, persons_found: '-1' is negative (counts are >= 0)"),
    ("C1,310101001001001,B,2,3,0,0", "VISITS.csv: line 4, persons_registered: 3 is more than persons_found (2)"),
    ("C1,310101001001001,B,2,1,2,0", "VISITS.csv: line 4, records_checked: 2 is more than persons_registered (1)"),
    ("C1,310101001001001,B,2,2,1,2", "VISITS.csv: line 4, records_accurate: 2 is more than records_checked (1)"),
    ("C1,310101001001001,B,2.5,0,0,0", "VISITS.csv: line 4, persons_found: '2.5' is not a whole number"),
    ("C1,310101001001001,B,two,0,0,0",
     "VISITS.csv: line 4, persons_found: 'two' is not a number; expected a whole number >= 0"),
    ("C1,310101001001001,B,99999999999999999999,0,0,0",
     "VISITS.csv: line 4, persons_found: '99999999999999999999' is too large (at most 1,000,000,000)"),
    ("C1,310101001001001,B,2,,0,0",
     "VISITS.csv: line 4, persons_registered: is empty; expected a whole number >= 0"),
    ("C1,310101001001001,A,1,1,1,1",
     "VISITS.csv: line 4, house_id: house 'A' of campaign 'C1' is visited twice (also line 2)"),
    ("C1,310101001001009,B,1,1,1,1", "VISITS.csv: line 4, stratum: stratum '310101001001009' is not in the "
                                     "frame of campaign 'C1' (FRAME.csv gives no houses for it)"),
    ("C2,310101001001001,B,1,1,1,1",
     "VISITS.csv: line 4, campaign_id: campaign 'C2' is not in the frame (FRAME.csv gives no houses for it)"),
    (",310101001001001,B,1,1,1,1", "VISITS.csv: line 4, campaign_id: is empty"),
    ("C1,310101001001001,,1,1,1,1", "VISITS.csv: line 4, house_id: is empty"),
])
def test_bad_visits_give_the_line_and_the_reason(row, expected):
    assert _problems(FRAME, VISITS + row + "\n") == [expected]


@pytest.mark.parametrize("frame_row, expected", [
    ("C1,310101001001003,0", "FRAME.csv: line 4, houses: '0' is less than 1"),
    ("C1,310101001001003,-4", "FRAME.csv: line 4, houses: '-4' is less than 1"),
    ("C1,310101001001003,many", "FRAME.csv: line 4, houses: 'many' is not a number; expected a whole number >= 1"),
    ("C1,310101001001001,12", "FRAME.csv: line 4, stratum: stratum '310101001001001' of campaign 'C1' is listed "
                              "twice (also line 2)"),
    ("C1,,12", "FRAME.csv: line 4, stratum: is empty"),
])
def test_bad_frame_rows_give_the_line_and_the_reason(frame_row, expected):
    assert _problems(FRAME + frame_row + "\n", VISITS) == [expected]


def test_more_houses_visited_than_the_stratum_has():
    frame = FRAME.replace("C1,310101001001002,6", "C1,310101001001002,1")
    visits = VISITS + "C1,310101001001002,D,1,1,1,1\n"
    assert _problems(frame, visits) == [
        "FRAME.csv: line 3, houses: stratum '310101001001002' of campaign 'C1' has 1 houses but 2 are visited "
        "in VISITS.csv"]


def test_levels_need_codes_long_enough():
    frame = FRAME + "C1,north,5\nC1,310101001,5\n"
    assert _problems(frame, VISITS, level="street") == [
        "FRAME.csv: line 4, stratum: 'north' is not a code of at least 9 digits, as --level street needs"]
    assert _problems(frame, VISITS, level="grid") == [
        "FRAME.csv: line 4, stratum: 'north' is not a code of at least 15 digits, as --level grid needs",
        "FRAME.csv: line 5, stratum: '310101001' is not a code of at least 15 digits, as --level grid needs"]
    assert estimateio.read_campaigns(frame, VISITS, level="all").stratum_code[2] == "north"


def test_line_numbers_count_physical_lines_and_skip_nothing():
    # a quoted house id spanning two lines and a blank line: the bad row is on line 5
    visits = f'{VISITS_HEADER}\nC1,310101001001001,"A\nwest",3,3,3,2\n\nC1,310101001001002,C,4,5,4,4\n'
    assert _problems(FRAME, visits) == [
        "VISITS.csv: line 5, persons_registered: 5 is more than persons_found (4)"]


def test_other_columns_may_hold_any_text():
    # an unquoted note with a Unicode line separator and a form feed: one row each, lines as written
    visits = (f"{VISITS_HEADER},note\nC1,310101001001001,A,3,3,3,2,门口\u2028贴有通知\n"
              "C1,310101001001002,C,4,5,4,4,\x0c\n")
    assert _problems(FRAME, visits) == ["VISITS.csv: line 3, persons_registered: 5 is more than persons_found (4)"]
    data = estimateio.read_campaigns(FRAME, visits.replace("4,5,4,4", "4,4,4,4").replace("\r", ""))
    assert data.counts.tolist() == [[3, 3, 3, 2], [4, 4, 4, 4]]
    crlf = estimateio.read_campaigns(FRAME.replace("\n", "\r\n"), VISITS.replace("\n", "\r\n"))
    assert crlf.stratum_code == ["310101001001001", "310101001001002"] and crlf.counts.shape == (2, 4)


def test_every_problem_is_reported_and_nothing_written(files, tmp_path, capsys):
    frame, visits = files
    visits.write_text(visits.read_text() + "C1,310101001001001,F,1,2,0,0\nC1,310101001001002,G,x,0,0,0\n")
    target = tmp_path / "out.csv"
    code, out, err = _run(["quality", "estimate", "--frame", str(frame), "--visits", str(visits), "-o", str(target)],
                          capsys)
    assert code == 1 and out == "" and not target.exists()
    assert err.splitlines() == [
        "error: 2 problem(s) in the input; nothing written",
        f"  {visits}: line 7, persons_registered: 2 is more than persons_found (1)",
        f"  {visits}: line 8, persons_found: 'x' is not a number; expected a whole number >= 0"]
    code, _, err = _run(["quality", "estimate", "--frame", str(tmp_path / "nope.csv"), "--visits", str(visits)],
                        capsys)
    assert code == 2 and "nope.csv: cannot read" in err


def test_usage_errors_exit_2(files, capsys):
    frame, visits = files
    code, _, err = _run(["quality", "estimate", "--frame", str(frame)], capsys)
    assert code == 2 and "the following arguments are required: --visits" in err
    code, _, err = _run(["quality", "estimate", "--frame", str(frame), "--visits", str(visits), "--level", "city"],
                        capsys)
    assert code == 2 and "invalid choice: 'city'" in err
    code, _, err = _run(["quality", "estimate", "--frame", str(frame), "--visits", str(visits),
                         "--confidence", "95"], capsys)
    assert code == 2 and "95 is not a confidence level (expected 0.5 <= c < 1, e.g. 0.95)" in err
    code, _, err = _run(["quality"], capsys)
    assert code == 2 and "usage: gridgov quality" in err


def test_runs_without_a_database_or_django(files):
    frame, visits = files
    done = run_without_django(['quality', 'estimate', '--frame', str(frame), '--visits', str(visits)])
    assert done.returncode == 0, done.stderr
    assert done.stdout == _doc_block("output")


def test_listed_in_the_gridgov_help(capsys, db):
    assert cli.main(["--help"]) == 0
    assert "\n  quality            registration and accuracy rates" in capsys.readouterr().out
