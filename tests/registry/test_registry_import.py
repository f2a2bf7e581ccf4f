"""Imports: encodings, Excel, per-row reports, all-or-nothing vs valid-rows, idempotent upsert."""

import csv
import io
from datetime import date

import openpyxl
import pytest

from gridgov.core.idnumber import make_identity_number
from gridgov.core.models import AuditEvent
from gridgov.registry.imports import import_file
from gridgov.registry.models import House, Organisation, Person, Residence
from tests.registry.conftest import client_for

HEADER = ["公民身份号码", "姓名", "性别", "出生日期", "民族", "联系方式", "人口类型", "房屋编号", "入住日期"]


def ids(n):
    return [make_identity_number("320583", date(1988, 1, 1 + i), 21 + 2 * i) for i in range(n)]


def _rows(houses, n=3):
    return [[num, name, "男", "", "01", "13900000000", "02", houses["a1_1"].house_code if i % 2 == 0
             else houses["a1_2"].house_code, "2024-01-01"]
            for i, (num, name) in enumerate(zip(ids(n), ["张三", "李四", "王五", "赵六", "钱七"][:n], strict=True))]


def write_csv(path, header, rows, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


def write_xlsx(path, header, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return str(path)


def test_import_then_reimport_changes_nothing(tmp_path, houses, users):
    path = write_csv(tmp_path / "p.csv", HEADER, _rows(houses))
    first = import_file(kind="persons", path=path, actor=users["street_a"])
    assert first.written and (first.created, first.updated, first.rejected) == (3, 0, 0), first.as_dict()
    snapshot = list(Person.objects.order_by("pk").values())
    residences = list(Residence.objects.order_by("pk").values())
    again = import_file(kind="persons", path=path, actor=users["street_a"])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert list(Person.objects.order_by("pk").values()) == snapshot
    assert list(Residence.objects.order_by("pk").values()) == residences
    p = Person.objects.get(name="张三")
    assert p.sex == "1" and p.birth_date == date(1988, 1, 1) and p.hukou_division == "320583"
    assert Residence.objects.get(person=p).start_date == date(2024, 1, 1)
    # the same rows from GBK and from Excel are the same import
    gbk = import_file(kind="persons", path=write_csv(tmp_path / "g.csv", HEADER, _rows(houses), "gbk"),
                      actor=users["street_a"])
    assert gbk.encoding == "gb18030" and gbk.unchanged == 3 and gbk.created == 0
    xl = import_file(kind="persons", path=write_xlsx(tmp_path / "p.xlsx", HEADER, _rows(houses)),
                     actor=users["street_a"])
    assert xl.encoding == "xlsx" and xl.unchanged == 3, xl.as_dict()
    assert AuditEvent.objects.filter(action="IMPORT", outcome="success").count() == 4


def test_reimport_with_a_move_updates_and_keeps_history(tmp_path, houses, users):
    rows = _rows(houses)
    import_file(kind="persons", path=write_csv(tmp_path / "a.csv", HEADER, rows), actor=users["street_a"])
    rows[0][7] = houses["a2_1"].house_code
    rows[0][8] = "2025-01-01"
    rows[1][5] = "13700000000"
    result = import_file(kind="persons", path=write_csv(tmp_path / "b.csv", HEADER, rows), actor=users["street_a"])
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    p = Person.objects.get(name="张三")
    assert p.house_id == houses["a2_1"].pk and p.grid_code == houses["a2_1"].grid_code and p.version == 2
    stays = list(Residence.objects.filter(person=p).order_by("start_date").values_list("house_id", "end_date"))
    assert stays == [(houses["a1_1"].pk, date(2025, 1, 1)), (houses["a2_1"].pk, None)]
    assert Person.objects.get(name="李四").phone == "13700000000"


@pytest.mark.parametrize("mutate,field,code", [
    (lambda r: r.__setitem__(0, r[0][:17] + ("1" if r[0][17] == "0" else "0")), "identity_number", "check_digit"),
    (lambda r: r.__setitem__(8, "2024-02-30"), "moved_in", "bad_date"),
    (lambda r: r.__setitem__(3, "1988/13/01"), "birth_date", "bad_date"),
    (lambda r: r.__setitem__(4, "77"), "ethnicity", "unknown_code"),
    (lambda r: r.__setitem__(6, "9"), "population_type", "unknown_code"),
    (lambda r: r.__setitem__(7, "NO-SUCH-HOUSE"), "house_code", "unknown_house"),
    (lambda r: r.__setitem__(5, "123"), "phone", "bad_phone"),
])
def test_each_bad_row_is_reported_and_nothing_is_written(tmp_path, houses, users, mutate, field, code):
    rows = _rows(houses, 4)
    mutate(rows[2])
    path = write_csv(tmp_path / "bad.csv", HEADER, rows)
    result = import_file(kind="persons", path=path, actor=users["street_a"])
    assert not result.written and result.rejected == 1
    assert [(d.row, d.field, d.code) for d in result.details] == [(4, field, code)], result.as_dict()
    assert Person.objects.count() == 0 and Residence.objects.count() == 0
    assert AuditEvent.objects.filter(action="IMPORT", outcome="failure").count() == 1
    # valid-rows writes the other three and reports the same row
    partial = import_file(kind="persons", path=path, actor=users["street_a"], mode="valid-rows")
    assert partial.written and partial.created == 3 and [d.row for d in partial.details] == [4]
    assert Person.objects.count() == 3


def test_duplicate_inside_the_file_names_the_first_row(tmp_path, houses, users):
    rows = _rows(houses, 3)
    rows.append(list(rows[0]))
    result = import_file(kind="persons", path=write_csv(tmp_path / "d.csv", HEADER, rows), actor=users["street_a"])
    assert [(d.row, d.field, d.code) for d in result.details] == [(5, "identity_number", "duplicate_in_file")]
    # the reason in the active language (zh-hans by default, English on request); the code is stable
    assert result.details[0].message == "文件内重复：与第 2 行号码相同" and Person.objects.count() == 0
    from django.utils import translation

    with translation.override("en"):
        again = import_file(kind="persons", path=write_csv(tmp_path / "d.csv", HEADER, rows), actor=users["street_a"])
    assert again.details[0].message == "duplicate inside the file: same number as row 2"
    assert again.details[0].code == "duplicate_in_file"


def test_missing_column_and_wrong_encoding(tmp_path, houses, users):
    no_name = [h for h in HEADER if h != "姓名"]
    result = import_file(kind="persons", path=write_csv(tmp_path / "m.csv", no_name,
                                                        [r[:1] + r[2:] for r in _rows(houses)]),
                         actor=users["street_a"])
    assert [(d.row, d.field, d.code) for d in result.details] == [(1, "name", "missing_column")]
    assert "姓名" in result.details[0].message
    gbk = write_csv(tmp_path / "gbk.csv", HEADER, _rows(houses), "gbk")
    forced = import_file(kind="persons", path=gbk, actor=users["street_a"], encoding="utf-8")
    assert forced.details[0].field == "encoding" and forced.details[0].code == "wrong_encoding"
    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes(",".join(HEADER).encode("utf-16"))
    assert import_file(kind="persons", path=str(utf16), actor=users["street_a"]).details[0].code == "wrong_encoding"
    mixed = tmp_path / "mixed.csv"
    body = io.StringIO()
    csv.writer(body).writerows([HEADER, *_rows(houses)])
    mixed.write_bytes(body.getvalue().encode("utf-8") + b"\xff\xfe\x80,bad\r\n")
    r = import_file(kind="persons", path=str(mixed), actor=users["street_a"], mode="valid-rows")
    assert r.details[-1].field == "encoding" and r.details[-1].row == 5 and not r.written
    assert Person.objects.count() == 0


def test_excel_number_identity_and_scope(tmp_path, houses, users):
    rows = _rows(houses, 2)
    rows[1][0] = int(rows[1][0][:15])
    result = import_file(kind="persons", path=write_xlsx(tmp_path / "n.xlsx", HEADER, rows), actor=users["street_a"])
    assert [(d.row, d.code) for d in result.details] == [(3, "excel_number")]
    other = _rows(houses, 1)
    other[0][7] = houses["b_1"].house_code
    out = import_file(kind="persons", path=write_csv(tmp_path / "o.csv", HEADER, other), actor=users["street_a"])
    assert [(d.field, d.code) for d in out.details] == [("house_code", "out_of_jurisdiction")]


def test_persons_without_identity_number_upsert_by_document(tmp_path, place, users):
    header = ["证件代码", "证件号码", "姓名", "国籍", "出生日期", "人口类型", "网格编码"]
    rows = [["414", "E1234567", "John Smith", "US", "1980-02-02", "03", place["a1"]]]
    path = write_csv(tmp_path / "f.csv", header, rows)
    assert import_file(kind="persons", path=path, actor=users["street_a"]).created == 1
    assert import_file(kind="persons", path=path, actor=users["street_a"]).unchanged == 1
    p = Person.objects.get()
    assert p.identity_number is None and p.doc_number == "E1234567" and p.house_id is None


def test_houses_and_orgs_import(tmp_path, place, users, city):
    import shapely

    from gridgov.core.uscc import make_uscc
    from gridgov.geo.models import Grid

    pt = shapely.point_on_surface(shapely.from_wkb(bytes(Grid.objects.get(code=place["a1"]).boundary)))
    header = ["房屋编号", "地址", "网格编码", "经度", "纬度", "建筑用途", "是否出租"]
    rows = [["IMP-1", "导入路1号", "", pt.x, pt.y, "01", "否"], ["IMP-2", "导入路2号", place["a2"], "", "", "住宅", "1"]]
    path = write_csv(tmp_path / "h.csv", header, rows)
    r = import_file(kind="houses", path=path, actor=users["street_a"])
    assert r.created == 2 and not r.details, r.as_dict()
    assert House.objects.get(house_code="IMP-1").grid_code == place["a1"]
    assert House.objects.get(house_code="IMP-2").rented and House.objects.get(house_code="IMP-2").building_use == "01"
    assert import_file(kind="houses", path=path, actor=users["street_a"]).unchanged == 2
    bad = [["IMP-3", "x", "", 100.0, 30.0, "01", ""], ["IMP-4", "y", place["b"], "", "", "01", ""],
           ["IMP-5", "z", place["a1"], "", "", "88", ""]]
    r = import_file(kind="houses", path=write_csv(tmp_path / "hb.csv", header, bad), actor=users["street_a"])
    assert [(d.row, d.field, d.code) for d in r.details] == [
        (2, "lon", "outside_grids"), (3, "grid_code", "out_of_jurisdiction"), (4, "building_use", "unknown_code")]
    code = make_uscc("91310101MA1FL0101")
    oh = ["统一社会信用代码", "名称", "类别", "房屋编号", "从业人数"]
    orgs = [[code, "导入公司", "E01", "IMP-1", "5"], [code[:-1] + ("0" if code[-1] != "0" else "1"), "坏", "E01",
                                                     "IMP-1", "1"]]
    r = import_file(kind="orgs", path=write_csv(tmp_path / "org.csv", oh, orgs), actor=users["street_a"],
                    mode="valid-rows")
    assert r.created == 1 and [(d.row, d.field, d.code) for d in r.details] == [(3, "uscc", "check_digit")]
    assert Organisation.objects.get(uscc=code).grid_code == place["a1"]


def test_upload_through_api_and_page(tmp_path, houses, users, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = open(write_csv(tmp_path / "u.csv", HEADER, _rows(houses)), "rb").read()
    client = client_for(users["street_a"])
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}  # the import runs at once
    r = client.post("/api/v1/registry/imports/persons", {"file": SimpleUploadedFile("u.csv", data)})
    assert r.status_code == 202, r.content
    assert r["Location"] == r.json()["url"] == f"/api/v1/registry/imports/jobs/{r.json()['id']}"
    done = client.get(r["Location"]).json()
    assert (done["state"], done["created"], done["written"], done["errors"]) == ("done", 3, True, [])
    assert client_for(users["police"]).post("/api/v1/registry/imports/persons",
                                            {"file": SimpleUploadedFile("u.csv", data)}).status_code == 403
    assert client_for(users["street_b"]).get(r["Location"]).status_code == 404  # another user's job
    page = client.post("/registry/import/", {"kind": "persons", "mode": "all-or-nothing",
                                             "file": SimpleUploadedFile("u.csv", data)})
    assert page.status_code == 302
    job = client.get(page["Location"] + "?format=json").json()
    assert job["state"] == "done" and job["unchanged"] == 3 and job["written"]
    assert client.get(page["Location"]).status_code == 200
    report = client.get(page["Location"] + "report.csv")
    assert report.status_code == 200 and report.content.decode("utf-8").startswith("\ufeff行号,字段,错误代码,原因")
    assert client_for(users["street_b"]).get(page["Location"]).status_code == 404
    tpl = client.get("/api/v1/registry/imports/template/persons.csv")
    assert "公民身份号码" in tpl.content.decode("utf-8-sig")


def test_cli_import(tmp_path, houses, capsys):
    from gridgov import cli

    path = write_csv(tmp_path / "c.csv", HEADER, _rows(houses))
    assert cli.main(["import-persons", path, "--quiet", "--report", str(tmp_path / "r.csv")]) == 0
    assert "新增 3" in capsys.readouterr().out  # (zh-hans, the default)
    rows = _rows(houses)
    rows[0][4] = "77"
    assert cli.main(["import-persons", write_csv(tmp_path / "c2.csv", HEADER, rows), "--quiet"]) == 1
    assert "第 2 行：ethnicity" in capsys.readouterr().err


def test_column_path_accepts_only_what_the_row_validator_accepts(place):
    """The batch (column) validation is a shortcut: a row it passes must pass the full row validator
    with the same normalised values; everything else goes to the row validator, which reports it."""
    from gridgov.registry import validation
    from gridgov.registry.imports import _FAST_KEYS, PersonImporter

    fields = ["identity_number", "doc_type", "doc_number", "name", "former_name", "sex", "birth_date", "ethnicity",
              "nationality", "hukou_division", "hukou_address", "phone", "population_type", "grid_code"]
    good = make_identity_number("340102", date(1990, 5, 17), 3)
    with_x = next(n for n in (make_identity_number("110101", date(1985, 2, 1), s) for s in range(1, 999))
                  if n.endswith("X"))
    base = dict(zip(fields, [good, "", "", "张三", "", "", "", "01", "", "", "", "13912345678", "02", place["a1"]],
                    strict=True))
    variants = [
        {}, {"identity_number": with_x.lower()}, {"identity_number": f" {good} ", "name": " 张三\u3000"},
        {"identity_number": good[:17] + ("0" if good[17] != "0" else "1")},  # check digit
        {"identity_number": make_identity_number("340102", date(1990, 5, 17), 3)[:6] + "19900230" + good[14:]},
        {"identity_number": good[:14] + "000" + good[17]}, {"identity_number": "99" + good[2:]},
        {"identity_number": good.replace("1", "１", 1)}, {"identity_number": good[:6] + good[8:17]},
        {"identity_number": make_identity_number("340102", date(2099, 1, 1), 3)},
        {"hukou_division": "310000"}, {"hukou_division": "310012"}, {"hukou_division": "3101011"},
        {"nationality": "cn"}, {"nationality": "US", "population_type": "03"}, {"population_type": "03"},
        {"population_type": "来沪"}, {"population_type": "04"}, {"sex": "男"}, {"sex": "1"}, {"sex": "2"},
        {"birth_date": "1990-05-17"}, {"birth_date": "19900517"}, {"birth_date": "1990/05/17"},
        {"birth_date": "1990-05-18"}, {"phone": "021-12345678"}, {"phone": "+86 13912345678"}, {"phone": "1391234"},
        {"hukou_address": "某路\x01号"}, {"hukou_address": "某路1号"}, {"name": "张3"}, {"name": "张" * 65},
        {"name": ""}, {"former_name": "李四"}, {"former_name": "李<四"}, {"ethnicity": "汉族"}, {"ethnicity": "99"},
        {"doc_type": "111"}, {"doc_type": "414"}, {"doc_number": "E1234567"}, {"grid_code": "310101999999999"},
        {"grid_code": ""},
    ]
    rows = [[{**base, **over}[f] for f in fields] for over in variants]
    imp = PersonImporter(actor=None, mode="valid-rows", progress=None, today=None)
    imp.fields, imp.present = fields, set(fields)
    ok, values = imp._fast_columns(imp._columns(rows), len(rows))
    assert ok[0] and ok[1] and ok[2] and not ok[3:10].any()  # the plain, lowercase-x and padded rows pass
    compared = [k for k in _FAST_KEYS if not k.startswith("_") and k not in ("grid_code", "house_id")]
    for i, row in enumerate(rows):
        if not ok[i]:
            continue
        report = validation.ErrorReport()
        expected = validation.clean_person({f: val.strip() for f, val in zip(fields, row, strict=True)},
                                           report=report, row=i)
        assert expected is not None, (variants[i], report.details)
        got = dict(zip(_FAST_KEYS, values[i], strict=True))
        assert {k: got[k] for k in compared} == {k: expected[k] for k in compared}, variants[i]
        assert got["grid_code"] == row[-1]
    assert ok.sum() >= 10  # the shortcut does take the common rows


def test_upload_progress_is_shared_through_a_file_and_a_dead_job_shows_interrupted(tmp_path, houses, users,
                                                                                    settings, monkeypatch):
    """The job page's poll may reach another worker process than the one running the import: progress
    is read from VAR_DIR/imports/, and a running job whose progress stopped long ago is interrupted."""
    import os
    import time
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from gridgov.registry import jobs
    from gridgov.registry.models import ImportJob

    settings.VAR_DIR = tmp_path / "var"
    client = client_for(users["street_a"])
    job = ImportJob.objects.create(kind="persons", filename="big.csv", actor=users["street_a"],
                                   state=ImportJob.State.RUNNING)
    url = f"/registry/import/{job.pk}/"
    assert client.get(url + "?format=json").json()["progress"] == 0
    jobs._write_progress(job.pk, 50, 200)  # as the worker process running the import does
    state = client.get(url + "?format=json").json()
    assert (state["progress"], state["interrupted"]) == (25, False)
    old = time.time() - jobs.STALE_AFTER_S - 5
    os.utime(jobs._progress_path(job.pk), (old, old))
    assert client.get(url + "?format=json").json()["interrupted"] is True
    assert 'data-testid="job-interrupted"' in client.get(url).content.decode()
    # a job that never started (its process died at once) is interrupted after the same time
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=jobs.STALE_AFTER_S + 5))
    os.unlink(jobs._progress_path(job.pk))
    assert client.get(url + "?format=json").json()["interrupted"] is True
    # a real import writes its progress there and leaves nothing behind
    written = []
    real = jobs._write_progress
    monkeypatch.setattr(jobs, "_write_progress", lambda *a: (written.append(a[1:]), real(*a)))
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}  # the import runs at once
    data = open(write_csv(tmp_path / "u.csv", HEADER, _rows(houses)), "rb").read()
    page = client.post("/registry/import/", {"kind": "persons", "mode": "all-or-nothing",
                                             "file": SimpleUploadedFile("u.csv", data)})
    assert written and written[-1][0] == written[-1][1] and written[-1][1] > 0
    done = client.get(page["Location"] + "?format=json").json()
    assert done["state"] == "done" and done["created"] == 3 and done["interrupted"] is False
    assert not list((tmp_path / "var" / "imports").glob("*.json"))


def test_import_reasons_follow_the_request_language_and_the_codes_stay(tmp_path, houses, users, settings):
    """The API and the upload page report the same rejected rows in the reader's language: zh-hans
    by default, English on request; the machine code and the field never change."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = _rows(houses, 2)
    rows[0][3] = "1990-13-45"  # no such date
    rows[1][0] = rows[1][0][:17] + ("0" if rows[1][0][17] != "0" else "1")  # a wrong check digit
    data = open(write_csv(tmp_path / "bad.csv", HEADER, rows), "rb").read()
    client = client_for(users["street_a"])
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    answers = {}
    for language in ("zh-hans", "en"):
        r = client.post("/api/v1/registry/imports/persons", {"file": SimpleUploadedFile("bad.csv", data)},
                        HTTP_ACCEPT_LANGUAGE=language)
        assert r.status_code == 202
        # the job's report is written in the language of the request that queued it
        body = client.get(r["Location"], HTTP_ACCEPT_LANGUAGE="en" if language == "zh-hans" else "zh-hans").json()
        assert body["state"] == "done" and body["written"] is False
        errors = body["errors"]
        answers[language] = {(e["row"], e["field"], e["code"]): e["message"] for e in errors}
    assert answers["zh-hans"].keys() == answers["en"].keys() == {
        (2, "birth_date", "bad_date"), (3, "identity_number", "check_digit")}
    assert answers["zh-hans"][(2, "birth_date", "bad_date")] == "'1990-13-45' 不是有效日期：没有13月"
    assert answers["en"][(2, "birth_date", "bad_date")] == "'1990-13-45' is not a calendar date: month 13 does not exist"
    assert answers["zh-hans"][(3, "identity_number", "check_digit")].startswith("校验码为 ")
    assert answers["en"][(3, "identity_number", "check_digit")].startswith("check digit is ")
    # the upload page's job (run in the task worker) reports in the uploader's language, and its CSV
    # report has Chinese column names
    page = client.post("/registry/import/", {"kind": "persons", "mode": "all-or-nothing",
                                             "file": SimpleUploadedFile("bad.csv", data)})
    job = client.get(page["Location"] + "?format=json").json()
    assert job["state"] == "done" and job["state_label"] == "已完成"
    assert {(e["row"], e["code"], e["message"]) for e in job["errors"]} == {
        (r, c, m) for (r, _, c), m in answers["zh-hans"].items()}
    lines = client.get(page["Location"] + "report.csv").content.decode("utf-8-sig").splitlines()
    assert lines[0] == "行号,字段,错误代码,原因" and lines[1].startswith("2,出生日期,bad_date,")


def test_the_api_import_is_queued_not_parsed_in_the_request(tmp_path, houses, users, monkeypatch):
    """With the task worker's database backend: the POST answers 202 at once with a pending job and
    reads no row (the importer is not called in the request); the worker's run of the queued task
    does the import and the job URL then shows the result."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_tasks_db.models import DBTaskResult

    from gridgov.registry import imports, jobs

    data = open(write_csv(tmp_path / "u.csv", HEADER, _rows(houses)), "rb").read()
    client = client_for(users["street_a"])
    real = imports.import_file

    def not_here(**kwargs):
        raise AssertionError("parsed in the web request")

    monkeypatch.setattr(imports, "import_file", not_here)
    r = client.post("/api/v1/registry/imports/persons?mode=valid-rows", {"file": SimpleUploadedFile("u.csv", data)})
    assert r.status_code == 202, r.content
    job = r.json()
    assert (job["state"], job["kind"], job["mode"], job["filename"], job["rows"]) == (
        "pending", "persons", "valid-rows", "u.csv", 0)
    assert Person.objects.count() == 0
    queued = DBTaskResult.objects.get(task_path="gridgov.registry.tasks.import_run")
    kwargs = queued.args_kwargs["kwargs"]
    assert kwargs["job_id"] == job["id"]
    monkeypatch.setattr(imports, "import_file", real)
    jobs.import_job_run(**kwargs)  # what `gridgov worker` runs
    done = client.get(job["url"]).json()
    assert (done["state"], done["created"], done["rejected"], done["progress"]) == ("done", 3, 0, 100)
    assert Person.objects.count() == 3


def test_the_api_import_refuses_a_bad_kind_or_mode_before_queuing(tmp_path, houses, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.registry.models import ImportJob

    client = client_for(users["street_a"])
    data = open(write_csv(tmp_path / "u.csv", HEADER, _rows(houses)), "rb").read()
    r = client.post("/api/v1/registry/imports/people", {"file": SimpleUploadedFile("u.csv", data)})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "kind"
    r = client.post("/api/v1/registry/imports/persons?mode=some", {"file": SimpleUploadedFile("u.csv", data)})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "mode"
    assert ImportJob.objects.count() == 0
