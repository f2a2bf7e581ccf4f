"""Import rows as people write them: dates in Chinese and dotted forms (CSV and Excel), every problem of
a row in one pass, and grid codes shown whole in the report (identity numbers stay masked)."""

import csv
import io
from datetime import date, datetime

import pytest

from gridgov.core.idnumber import make_identity_number
from gridgov.registry.imports import import_file, mask_keeping_grid_codes
from gridgov.registry.models import House, Organisation, Person, Residence
from tests.registry.conftest import client_for
from tests.registry.test_registry_import import write_csv, write_xlsx

HEADER = ["公民身份号码", "姓名", "出生日期", "联系方式", "人口类型", "房屋编号", "入住日期"]


def _person(seq: int, house_code: str, moved_in, birth="") -> list:
    return [make_identity_number("320583", date(1988, 1, 1 + seq), 21 + 2 * seq), f"测试{'甲乙丙丁戊'[seq]}", birth,
            "13900000000", "02", house_code, moved_in]


@pytest.mark.parametrize("typed", ["2020年1月5日", "2020.1.5", "2020/1/5", "2020-01-05", "2020-1-5", "20200105",
                                   "２０２０年１月５日", "2020年01月05日"])
def test_dates_as_people_write_them_in_csv(tmp_path, houses, users, typed):
    rows = [_person(0, houses["a1_1"].house_code, typed, birth="1988年1月1日")]
    result = import_file(kind="persons", path=write_csv(tmp_path / "d.csv", HEADER, rows), actor=users["street_a"])
    assert result.written and result.created == 1, result.as_dict()
    stay = Residence.objects.get()
    assert stay.start_date == date(2020, 1, 5) and stay.person.birth_date == date(1988, 1, 1)


def test_dates_in_excel_as_date_cells_and_as_text(tmp_path, houses, users):
    rows = [_person(0, houses["a1_1"].house_code, datetime(2020, 1, 5), birth=datetime(1988, 1, 1)),
            _person(1, houses["a1_1"].house_code, "2021年3月9日", birth="1988.1.2"),
            _person(2, houses["a1_2"].house_code, "2022.12.31", birth="1988/1/3")]
    result = import_file(kind="persons", path=write_xlsx(tmp_path / "d.xlsx", HEADER, rows), actor=users["street_a"])
    assert result.written and result.created == 3, result.as_dict()
    got = dict(Residence.objects.values_list("person__name", "start_date"))
    assert got == {"测试甲": date(2020, 1, 5), "测试乙": date(2021, 3, 9), "测试丙": date(2022, 12, 31)}
    births = dict(Person.objects.values_list("name", "birth_date"))
    assert births == {"测试甲": date(1988, 1, 1), "测试乙": date(1988, 1, 2), "测试丙": date(1988, 1, 3)}


@pytest.mark.parametrize("typed,why", [  # (the reasons in zh-hans, the default language)
    ("2020年2月30日", "2020-02 没有30日"),
    ("2021.13.1", "没有13月"),
    ("2020/1.5", "请按以下格式之一填写：2020-01-05、2020/1/5、2020.1.5、2020年1月5日 或 20200105"),
    ("5/1/2020", "请按以下格式之一填写"),
    ("202015", "请按以下格式之一填写"),
    ("去年", "请按以下格式之一填写"),
])
def test_invalid_dates_are_rejected_with_row_field_and_why(tmp_path, houses, users, typed, why):
    rows = [_person(0, houses["a1_1"].house_code, "2020-01-05"), _person(1, houses["a1_1"].house_code, typed)]
    result = import_file(kind="persons", path=write_csv(tmp_path / "b.csv", HEADER, rows), actor=users["street_a"])
    assert not result.written and Person.objects.count() == 0
    assert [(d.row, d.field, d.code) for d in result.details] == [(3, "moved_in", "bad_date")]
    assert typed in result.details[0].message and why in result.details[0].message


def test_a_person_row_with_three_problems_reports_all_three(tmp_path, houses, users):
    rows = [_person(0, houses["a1_1"].house_code, "2020-01-05"),
            _person(1, "NO-SUCH-HOUSE", "2020年2月30日"),
            _person(2, houses["a1_2"].house_code, "2020-01-05")]
    rows[1][3] = "123"  # phone
    result = import_file(kind="persons", path=write_csv(tmp_path / "p.csv", HEADER, rows), actor=users["street_a"])
    assert [(d.row, d.field, d.code) for d in result.details] == [
        (3, "phone", "bad_phone"), (3, "moved_in", "bad_date"), (3, "house_code", "unknown_house")]
    assert result.rejected == 1 and not result.written and Person.objects.count() == 0
    partial = import_file(kind="persons", path=write_csv(tmp_path / "p.csv", HEADER, rows), actor=users["street_a"],
                          mode="valid-rows")
    assert partial.created == 2 and partial.rejected == 1 and len(partial.details) == 3


def test_a_person_row_without_house_reports_its_grid_too(tmp_path, place, users):
    header = ["公民身份号码", "姓名", "民族", "人口类型", "网格编码"]
    ident = make_identity_number("320583", date(1990, 2, 3), 31)
    rows = [[ident, "测试<", "77", "02", place["b"]]]
    result = import_file(kind="persons", path=write_csv(tmp_path / "g.csv", header, rows), actor=users["street_a"])
    assert [(d.row, d.field, d.code) for d in result.details] == [
        (2, "name", "invalid"), (2, "ethnicity", "unknown_code"), (2, "grid_code", "out_of_jurisdiction")]
    assert place["b"] in result.details[2].message  # a grid code is not personal data: shown whole


def test_a_house_row_with_three_problems_reports_all_three(tmp_path, place, users):
    header = ["房屋编号", "地址", "网格编码", "建筑用途", "房主联系方式"]
    rows = [["OK-1", "好路1号", place["a1"], "01", ""],
            ["BAD-1", "", place["b"], "88", "12345"]]
    result = import_file(kind="houses", path=write_csv(tmp_path / "h.csv", header, rows), actor=users["street_a"])
    assert [(d.row, d.field, d.code) for d in result.details] == [
        (3, "address", "required"), (3, "building_use", "unknown_code"), (3, "owner_phone", "bad_phone"),
        (3, "grid_code", "out_of_jurisdiction")]
    assert result.rejected == 1 and House.objects.count() == 0


def test_an_organisation_row_with_three_problems_reports_all_three(tmp_path, place, users):
    from gridgov.core.uscc import make_uscc

    good = make_uscc("91310101MA1FL0101")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    header = ["统一社会信用代码", "名称", "类别", "网格编码", "从业人数"]
    rows = [[good, "好公司", "E01", place["a1"], "3"], [bad, "坏公司", "X9", place["a1"], "许多"]]
    result = import_file(kind="orgs", path=write_csv(tmp_path / "o.csv", header, rows), actor=users["street_a"])
    assert [(d.row, d.field, d.code) for d in result.details] == [
        (3, "uscc", "check_digit"), (3, "category", "unknown_code"), (3, "staff_count", "invalid")]
    assert Organisation.objects.count() == 0


def test_grid_codes_whole_identity_numbers_masked():
    communities = frozenset({"310101001001"})
    old_id = "110101900307123"  # a 15-digit identity number (born 1990-03-07)
    message = f"grid 310101001001009 is outside; house 310101001001009-0002; {old_id}; 310101001001000"
    assert mask_keeping_grid_codes(message, communities) == (
        "grid 310101001001009 is outside; house 310101001001009-0002; 110101*****7123; 310101*****1000")
    assert mask_keeping_grid_codes("13912345678", communities) == "139****5678"


def test_report_page_and_csv_show_the_grid_code_whole(tmp_path, place, users, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    header = ["公民身份号码", "姓名", "人口类型", "网格编码"]
    missing = place["a1"][:12] + "999"  # a grid of a known community that does not exist
    rows = [[make_identity_number("320583", date(1990, 2, 3), 31), "测试甲", "02", place["b"]],
            [make_identity_number("320583", date(1990, 2, 4), 33), "测试乙", "02", missing]]
    data = open(write_csv(tmp_path / "r.csv", header, rows), "rb").read()
    client = client_for(users["street_a"])
    response = client.post("/registry/import/", {"kind": "persons", "mode": "all-or-nothing",
                                                 "file": SimpleUploadedFile("r.csv", data)})
    page = client.get(response["Location"]).content.decode()
    assert place["b"] in page and missing in page and "*****" not in page
    report = client.get(response["Location"] + "report.csv").content.decode("utf-8-sig")
    cells = [r[-1] for r in list(csv.reader(io.StringIO(report)))[1:]]
    assert len(cells) == 2 and place["b"] in cells[0] and missing in cells[1]
