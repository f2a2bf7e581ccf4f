"""`gridgov allocate` on a small example, on bad input, and without any database."""

from __future__ import annotations

import csv
import io

import pytest

from gridgov import cli
from tests.pure_cli import run_without_django

HISTORY = """period,grid,reported,discovered,patrol_hours
2026-W01,310101001001001,3,1,20
2026-W01,310101001001002,1,0,10
2026-W01,310101001001003,0,0,0
2026-W02,310101001001001,4,2,24
2026-W02,310101001001002,1,1,10
2026-W02,310101001001003,1,0,0
"""


def _plan(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_plan_has_every_grid_and_sums_to_n(tmp_path, capsys):
    src, out = tmp_path / "h.csv", tmp_path / "plan.csv"
    src.write_text(HISTORY, encoding="utf-8")
    code = cli.main(["allocate", "--input", str(src), "--units", "7", "--output", str(out), "--seed", "3"])
    assert code == 0, capsys.readouterr().err
    rows = _plan(out.read_text(encoding="utf-8"))
    assert list(rows[0]) == ["grid", "units", "risk", "risk_low", "risk_high"]
    assert [r["grid"] for r in rows] == ["310101001001001", "310101001001002", "310101001001003"]
    assert sum(round(float(r["units"]) * 10000) for r in rows) == 70000  # exactly 7 at 4 decimals
    for r in rows:
        assert float(r["risk_low"]) <= float(r["risk"]) <= float(r["risk_high"])
    # the grid with the most reports leads
    assert float(rows[0]["risk"]) > float(rows[1]["risk"])


def test_floor_and_cap(tmp_path, capsys):
    src = tmp_path / "h.csv"
    src.write_text(HISTORY, encoding="utf-8")
    code = cli.main(["allocate", "-i", str(src), "-n", "6", "--floor", "1.5", "--cap", "2.5", "--exploration", "0"])
    out = capsys.readouterr().out
    assert code == 0
    units = [float(r["units"]) for r in _plan(out)]
    assert sum(units) == pytest.approx(6)
    assert min(units) >= 1.5 and max(units) <= 2.5
    assert units[0] == pytest.approx(2.5)


@pytest.mark.parametrize(("argv", "message"), [
    (["--floor", "3"], "--floor 3 x 3 grids = 9 exceeds --units 6"),
    (["--cap", "1"], "--cap 1 x 3 grids = 3 is below --units 6"),
])
def test_impossible_floor_or_cap_refused(tmp_path, capsys, argv, message):
    src, out = tmp_path / "h.csv", tmp_path / "plan.csv"
    src.write_text(HISTORY, encoding="utf-8")
    code = cli.main(["allocate", "-i", str(src), "-n", "6", "-o", str(out), *argv])
    assert code == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_bad_rows_named_by_line_and_field(tmp_path, capsys):
    src, out = tmp_path / "h.csv", tmp_path / "plan.csv"
    src.write_text("period,grid,reported,discovered,patrol_hours\n"
                   "1,A,2,0,5\n"
                   "1,B,-1,0,5\n"
                   "1,C,2,x,5\n"
                   "1,D,2,0,-3\n"
                   "1,,2,0,1\n"
                   "1,A,1,0,5\n"
                   "2,E,1\n", encoding="utf-8")
    code = cli.main(["allocate", "-i", str(src), "-n", "4", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "6 problem(s); nothing written" in err
    assert "line 3: reported: '-1' is not a whole number >= 0" in err
    assert "line 4: discovered: 'x' is not a whole number >= 0" in err
    assert "line 5: patrol_hours: '-3' is not a number >= 0" in err
    assert "line 6: grid: empty" in err
    assert "line 7: period 1 grid A repeats line 2" in err
    assert "line 8: 3 field(s), expected 5" in err
    assert not out.exists()


def test_missing_column_and_empty_file(tmp_path, capsys):
    src = tmp_path / "h.csv"
    src.write_text("period,grid,reported,patrol_hours\n1,A,1,2\n", encoding="utf-8")
    assert cli.main(["allocate", "-i", str(src), "-n", "4"]) == 1
    assert "line 1: missing column(s) discovered" in capsys.readouterr().err
    src.write_text("", encoding="utf-8")
    assert cli.main(["allocate", "-i", str(src), "-n", "4"]) == 1
    assert "line 1: the file is empty" in capsys.readouterr().err
    src.write_text("period,grid,reported,discovered,patrol_hours\n", encoding="utf-8")
    assert cli.main(["allocate", "-i", str(src), "-n", "4"]) == 1
    assert "no data rows" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["-n", "0"], ["-n", "5", "--exploration", "1.5"], ["-n", "x"]])
def test_bad_options_are_usage_errors(tmp_path, capsys, argv):
    src = tmp_path / "h.csv"
    src.write_text(HISTORY, encoding="utf-8")
    assert cli.main(["allocate", "-i", str(src), *argv]) == 2


def test_runs_without_django(tmp_path):
    src, out = tmp_path / "h.csv", tmp_path / "plan.csv"
    src.write_text(HISTORY, encoding="utf-8")
    proc = run_without_django(["allocate", "--input", str(src), "--units", "3", "--output", str(out)])
    assert proc.returncode == 0, proc.stderr
    assert len(_plan(out.read_text(encoding="utf-8"))) == 3
