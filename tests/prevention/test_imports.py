"""Imports of the network sheets: template round trip, row errors (row, field, reason), all or nothing."""

import io

import openpyxl
import pytest

from gridgov.prevention import imports
from gridgov.prevention.models import Camera, DefenceTeam


def _csv(text: str) -> bytes:
    return text.encode("utf-8-sig")


@pytest.mark.django_db
def test_cameras_csv_all_or_nothing(grids, make_user):
    (g1, x1, y1), (g2, x2, y2), _ = grids
    police = make_user("pol", ("police_officer", g1[:6]))
    bad = _csv("code,grid_code,lon,lat,radius_m,status\n"
               f"C1,{g1},{x1},{y1},40,online\n"
               f"C2,{g2},{x2},abc,40,online\n"
               f"C1,{g2},{x2},{y2},40,broken\n"
               f"C3,320101001001001,{x2},{y2},900,online\n")
    result = imports.network_import_file(actor=police, network="cameras", filename="cams.csv", data=bad)
    got = sorted((e.row, e.field, e.code) for e in result.errors)
    assert got == [(3, "lat", "number"), (4, "code", "duplicate"), (4, "status", "choice"),
                   (5, "grid_code", "unknown"), (5, "radius_m", "range")]
    assert result.written == 0 and Camera.objects.count() == 0
    good = _csv("code,grid_code,lon,lat,radius_m\n"
                f"C1,{g1},{x1},{y1},40\nC2,{g2},{x2},{y2},25\n")
    dry = imports.network_import_file(actor=police, network="cameras", filename="c.csv", data=good, dry_run=True)
    assert dry.errors == [] and dry.written == 0 and Camera.objects.count() == 0
    result = imports.network_import_file(actor=police, network="cameras", filename="c.csv", data=good)
    assert result.written == 2
    assert sorted(Camera.objects.values_list("code", "status", "radius_m")) == [("C1", "online", 40.0),
                                                                              ("C2", "online", 25.0)]


@pytest.mark.django_db
def test_template_headers_in_chinese_import_back(grids, make_user):
    (g1, *_), _, _ = grids
    police = make_user("pol", ("police_officer", g1[:6]))
    book = openpyxl.load_workbook(io.BytesIO(imports.template_xlsx(police, "defence_teams")))
    header = [c.value for c in book.worksheets[0][1]]
    assert header == ["队伍编号", "名称", "类型", "网格编码", "负责人"]
    ws = book.worksheets[0]
    ws.append(["DT1", "人民广场邻里守望队", "watch", g1, "张伟"])
    out = io.BytesIO()
    book.save(out)
    result = imports.network_import_file(actor=police, network="defence_teams", filename="t.xlsx", data=out.getvalue())
    assert result.errors == [] and result.written == 1
    assert DefenceTeam.objects.get().kind == "watch"


@pytest.mark.django_db
def test_rows_outside_the_jurisdiction_are_refused(grids, make_user):
    (g1, *_), _, _ = grids
    from gridgov.geo.models import Grid

    outside = Grid.objects.exclude(code__startswith=g1[:9]).values_list("code", flat=True).first()
    assert outside is not None
    police = make_user("pol", ("police_officer", g1[:9]))
    data = _csv(f"code,name,type,grid_code\nV1,平安宾馆,hotel,{outside}\n")
    result = imports.network_import_file(actor=police, network="venues", filename="v.csv", data=data)
    assert [(e.row, e.field, e.code) for e in result.errors] == [(2, "grid_code", "outside")]


@pytest.mark.django_db
def test_missing_columns_and_bad_files(grids, make_user):
    (g1, *_), _, _ = grids
    police = make_user("pol", ("police_officer", g1[:6]))
    result = imports.network_import_file(actor=police, network="venues", filename="v.csv", data=_csv("code,name\nV1,x\n"))
    assert sorted(e.field for e in result.errors) == ["grid_code", "type"]
    result = imports.network_import_file(actor=police, network="venues", filename="v.txt", data=b"x")
    assert [e.field for e in result.errors] == ["file"]


@pytest.mark.django_db
def test_import_page_shows_row_errors_in_chinese(grids, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    (g1, *_), _, _ = grids
    c = Client()
    c.force_login(make_user("pol", ("police_officer", g1[:6])))
    upload = SimpleUploadedFile("c.csv", _csv(f"code,grid_code,lon,lat\nC1,{g1},121.4,abc\n"))
    r = c.post("/prevention/import/cameras/", {"file": upload})
    assert r.status_code == 400
    assert "&#x27;abc&#x27; 不是数字" in r.content.decode()
    assert c.get("/prevention/import/cameras/template.xlsx").status_code == 200
