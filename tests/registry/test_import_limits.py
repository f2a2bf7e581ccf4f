"""Import files over the configured limits are refused before they are parsed (a zip bomb cannot
occupy a worker): upload size and an .xlsx's uncompressed size and compression ratio -> 413 in the
request, nothing written, no job queued; too many rows or a cell too long (found while the task
worker reads the rows) -> the job ends refused with the 422 code and a clear Chinese message,
nothing written."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import openpyxl
import pytest

from gridgov.core.idnumber import make_identity_number
from gridgov.registry.models import ImportJob, Person
from tests.registry.conftest import client_for

HEADER = ["公民身份号码", "姓名", "性别", "出生日期", "民族", "联系方式", "人口类型", "房屋编号", "入住日期"]
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _rows(houses, n):
    return [[make_identity_number("320583", date(1988, 1, 1 + i % 28), 21 + 2 * i), "测试" + "甲乙丙丁戊己庚辛壬癸"[i % 10] + "甲乙丙丁戊己庚辛壬癸"[i // 10 % 10], "男", "", "01",
             "13900000000", "02", houses["a1_1"].house_code, "2024-01-01"] for i in range(n)]


def _xlsx(rows, padding: int = 0) -> bytes:
    """A workbook; ``padding``: bytes of one letter added as a member (inflates, packs to little)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    if not padding:
        return buf.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/sharedStrings.xml", b"A" * padding)
    return out.getvalue()


def _csv(rows) -> bytes:
    lines = [",".join(HEADER)] + [",".join(str(c) for c in r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _post(client, name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/api/v1/registry/imports/persons", {"file": SimpleUploadedFile(name, data)}, **ZH)


@pytest.fixture
def district(users, tasks_at_once):
    return client_for(users["street_a"])


def _job(client, response) -> dict:
    """The job a 202 answer queued (the tests' task backend has run it already)."""
    assert response.status_code == 202, response.content
    return client.get(response["Location"], **ZH).json()


def test_an_xlsx_that_unpacks_past_the_limit_is_refused_413(district, houses, settings):
    settings.GRIDGOV_IMPORT_MAX_UNCOMPRESSED_MB = 1
    bomb = _xlsx(_rows(houses, 2), padding=1_500_000)  # 1.5 MB of one letter
    assert len(bomb) < 100_000  # it packs small
    r = _post(district, "bomb.xlsx", bomb)
    assert r.status_code == 413, r.content
    body = r.json()["error"]
    assert body["code"] == "too_large_uncompressed" and "解压后" in body["message"] and "1 MB" in body["message"]
    assert Person.objects.count() == 0 and ImportJob.objects.count() == 0  # refused in the request, not queued


def test_an_xlsx_compressed_past_the_ratio_is_refused_413(district, houses, settings):
    settings.GRIDGOV_IMPORT_MAX_RATIO = 20
    r = _post(district, "dense.xlsx", _xlsx(_rows(houses, 2), padding=200_000))
    assert r.status_code == 413
    body = r.json()["error"]
    assert body["code"] == "compression_ratio" and "压缩比" in body["message"] and "20" in body["message"]
    assert Person.objects.count() == 0


def test_a_normal_xlsx_passes_the_same_limits(district, houses, settings):
    settings.GRIDGOV_IMPORT_MAX_RATIO = 20
    settings.GRIDGOV_IMPORT_MAX_UNCOMPRESSED_MB = 1
    job = _job(district, _post(district, "ok.xlsx", _xlsx(_rows(houses, 3))))
    assert job["written"] is True and job["refused"] is None, job["errors"]
    assert Person.objects.count() == 3


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_too_many_rows_is_refused_422_and_nothing_written(district, houses, settings, fmt):
    settings.GRIDGOV_IMPORT_MAX_ROWS = 10
    rows = _rows(houses, 11)
    data = _csv(rows) if fmt == "csv" else _xlsx(rows)
    job = _job(district, _post(district, f"many.{fmt}", data))
    assert job["state"] == "done" and job["written"] is False
    body = job["refused"]
    assert body["status"] == 422 and body["code"] == "too_many_rows" and "超过 10 行" in body["message"]
    assert Person.objects.count() == 0
    job = _job(district, _post(district, f"ten.{fmt}", _csv(rows[:10]) if fmt == "csv" else _xlsx(rows[:10])))
    assert job["refused"] is None and job["created"] == 10
    assert Person.objects.count() == 10


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_cell_too_long_is_refused_422(district, houses, settings, fmt):
    settings.GRIDGOV_IMPORT_MAX_CELL_CHARS = 20
    rows = _rows(houses, 2)
    rows[1][1] = "名" * 21
    job = _job(district, _post(district, f"long.{fmt}", _csv(rows) if fmt == "csv" else _xlsx(rows)))
    body = job["refused"]
    assert body["status"] == 422 and body["code"] == "cell_too_long" and "20 个字符" in body["message"]
    assert job["written"] is False
    assert Person.objects.count() == 0


def test_an_upload_over_the_size_limit_is_refused_413(district, houses, settings):
    settings.GRIDGOV_IMPORT_MAX_UPLOAD_MB = 1
    data = _csv(_rows(houses, 2)) + b"#" * (1024 * 1024)
    r = _post(district, "big.csv", data)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "upload_too_large" and "1 MB" in r.json()["error"]["message"]


def test_the_upload_page_refuses_a_bomb_before_queuing_it(district, houses, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.GRIDGOV_IMPORT_MAX_UNCOMPRESSED_MB = 1
    bomb = _xlsx(_rows(houses, 2), padding=1_500_000)
    r = district.post("/registry/import/", {"kind": "persons", "mode": "all-or-nothing",
                                             "file": SimpleUploadedFile("bomb.xlsx", bomb)}, **ZH)
    assert r.status_code == 413
    assert "解压后" in r.content.decode()
    assert ImportJob.objects.count() == 0 and Person.objects.count() == 0
    settings.GRIDGOV_IMPORT_MAX_UPLOAD_MB = 1
    big = _csv(_rows(houses, 2)) + b"#" * (1024 * 1024)
    r = district.post("/registry/import/", {"kind": "persons", "mode": "all-or-nothing",
                                             "file": SimpleUploadedFile("big.csv", big)}, **ZH)
    assert r.status_code == 413 and "1 MB" in r.content.decode()
    assert ImportJob.objects.count() == 0
