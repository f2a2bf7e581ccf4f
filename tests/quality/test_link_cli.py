"""`gridgov quality link`: LINKS.csv from REG.csv and EXT.csv (UTF-8 or GBK), one register row per
external row, bad input refused with the line and reason, and no Django or database at run time."""

from __future__ import annotations

import csv
import io

import pytest

from gridgov import cli
from gridgov.quality import linkage, linksynth
from tests.pure_cli import run_without_django

HEADER = "record_id,name,sex,birth_date,identity_number,mobile,address"


def _write(path, rows, encoding="utf-8"):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(linkage.FIELDS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("link")
    data = linksynth.generate(200, seed=31)
    _write(tmp / "reg.csv", data.register)
    _write(tmp / "ext.csv", data.external, encoding="gbk")  # a rental list saved by Excel in GBK
    return tmp, data


def test_links_file_from_utf8_register_and_gbk_external(lists):
    tmp, data = lists
    out = tmp / "links.csv"
    done = run_without_django(["quality", "link", "--register", str(tmp / "reg.csv"), "--external",
                               str(tmp / "ext.csv"), "--output", str(out), "--threshold", "0.9"])
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["external_id", "register_id", "match_probability"]
    links = {r[0]: r[1] for r in rows[1:]}
    assert len(links) == len(rows) - 1  # at most one register row per external row
    assert all(0.9 <= float(r[2]) <= 1 for r in rows[1:])
    scores = linksynth.scores(links, data.truth)
    assert scores["precision"] >= 0.99 and scores["recall"] >= 0.97
    assert f"{len(data.external)} external row(s)" in done.stderr
    assert "not linked (probably unregistered)" in done.stderr


def _run(argv, capsys):
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_missing_column_is_refused_with_line_one(tmp_path, capsys):
    (tmp_path / "reg.csv").write_text(HEADER + "\nR1,王伟,男,1990-01-02,,,\n", encoding="utf-8")
    (tmp_path / "ext.csv").write_text("record_id,name,mobile\nE1,王伟,139\n", encoding="utf-8")
    code, out, err = _run(["quality", "link", "--register", str(tmp_path / "reg.csv"), "--external",
                           str(tmp_path / "ext.csv"), "--output", str(tmp_path / "out.csv")], capsys)
    assert code == 1
    assert f"{tmp_path / 'ext.csv'}:1: header: missing column(s) sex, birth_date, identity_number, address" in err
    assert "nothing written" in err
    assert not (tmp_path / "out.csv").exists()


def test_bad_rows_of_both_files_are_all_reported(tmp_path, capsys):
    (tmp_path / "reg.csv").write_text(HEADER + "\nR1,王伟,男,1990-01-02,,,\nR1,李娜,女,,,,\n", encoding="utf-8")
    (tmp_path / "ext.csv").write_text(HEADER + "\nE1,王伟,x,1990-01-02,,,\nE2,李娜,女,2.3.1990,,,\nE3,a,b\n",
                                      encoding="utf-8")
    code, out, err = _run(["quality", "link", "--register", str(tmp_path / "reg.csv"), "--external",
                           str(tmp_path / "ext.csv")], capsys)
    assert code == 1
    assert out == ""
    reg, ext = tmp_path / "reg.csv", tmp_path / "ext.csv"
    assert f"{reg}:3: record_id: 'R1' appears twice" in err
    assert f"{ext}:4: 3 values for 7 columns" in err
    assert "error: 2 problem(s)" in err


def test_bad_threshold_and_engine_are_refused(tmp_path, capsys):
    assert cli.main(["quality", "link", "--register", "a", "--external", "b", "--threshold", "1.5"]) == 2
    assert "1.5 is not a probability" in capsys.readouterr().err
    assert cli.main(["quality", "link", "--register", "a", "--external", "b", "--engine", "oracle"]) == 2
    assert "invalid choice: 'oracle'" in capsys.readouterr().err


def test_unreadable_file(tmp_path, capsys):
    (tmp_path / "ext.csv").write_text(HEADER + "\n", encoding="utf-8")
    code, _, err = _run(["quality", "link", "--register", str(tmp_path / "none.csv"), "--external",
                         str(tmp_path / "ext.csv")], capsys)
    assert code == 2 and "cannot read" in err


def test_chinese_column_names_are_read_like_the_english_ones():
    from gridgov.quality.link_cli import read_rows

    english = read_rows(HEADER + "\nE1,王伟,男,1990-01-02,110101199001020015,13900000000,梅兴路1号\n", source="x")
    chinese = read_rows("姓名,记录编号,性别,出生日期,身份证号码,联系电话,居住地址,备注\n"
                        "王伟,E1,男,1990-01-02,110101199001020015,13900000000,梅兴路1号,无\n", source="x")
    assert chinese == english == [{"record_id": "E1", "name": "王伟", "sex": "男", "birth_date": "1990-01-02",
                                   "identity_number": "110101199001020015", "mobile": "13900000000",
                                   "address": "梅兴路1号"}]
