"""Pages: rendered for the centres, 404 outside the jurisdiction, 403 without the capability;
the form creates, the status form moves, the import page lists the bad rows."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.command.models import Project

PAGES = ["/command/projects/", "/command/projects/map/", "/command/projects/timeline/",
         "/command/projects/map.geojson"]


def test_pages_render_for_the_street_centre(client, users, new_project):
    p = new_project(lon=121.48, lat=31.235, milestones=[("方案", "2026-01-05")])
    client.force_login(users["street"])
    for url in [*PAGES, f"/command/projects/{p.pk}/", f"/command/projects/{p.pk}/edit/", "/command/projects/new/",
                "/command/projects/import/"]:
        resp = client.get(url)
        assert resp.status_code == 200, url
    body = client.get("/command/projects/").content.decode()
    assert "综治中心规范化建设" in body and "项目清单" in body
    feats = client.get("/command/projects/map.geojson").json()["features"]
    assert feats[0]["geometry"]["coordinates"] == [121.48, 31.235]
    assert client.get("/command/projects/template.xlsx").status_code == 200
    assert client.get("/command/projects/template.pdf").status_code == 404


def test_outside_scope_404_and_missing_capability_403(client, users, new_project):
    p = new_project()
    client.force_login(users["other"])
    assert client.get(f"/command/projects/{p.pk}/").status_code == 404
    assert client.post(f"/command/projects/{p.pk}/status/", {"status": "in_progress", "version": 1}).status_code == 404
    assert Project.objects.get(pk=p.pk).status == "planned"
    client.force_login(users["grid"])
    assert client.get("/command/projects/").status_code == 403
    assert client.get(f"/command/projects/{p.pk}/").status_code == 403
    client.force_login(users["city"])  # reads, does not write
    assert client.get(f"/command/projects/{p.pk}/").status_code == 200
    assert client.get("/command/projects/new/").status_code == 403
    assert client.get("/command/projects/import/").status_code == 403


def test_form_creates_and_status_moves(client, users):
    client.force_login(users["street"])
    resp = client.post("/command/projects/new/", {
        "title": "社区警务室改造", "category": "03", "area_code": "310101002", "owner_name": "王强",
        "owner_unit": "南京东路派出所", "start_date": "2026-01-01", "deadline": "2026-02-28", "is_key": "1",
        "key_year": "2026", "milestone_title": ["设计", ""], "milestone_due": ["2026-01-15", ""]})
    p = Project.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/command/projects/{p.pk}/"
    assert p.milestones.count() == 1 and p.is_key
    client.post(f"/command/projects/{p.pk}/status/", {"status": "in_progress", "version": "1"})
    assert Project.objects.get(pk=p.pk).status == "in_progress"
    page = client.get(f"/command/projects/{p.pk}/").content.decode()
    assert "进行中" in page and "创建项目" in page


def test_form_errors_are_shown_in_chinese(client, users):
    client.force_login(users["street"])
    resp = client.post("/command/projects/new/", {"title": "", "category": "01", "area_code": "310101002",
                                                   "owner_name": "王", "owner_unit": "单位", "start_date": "2026-03-01",
                                                   "deadline": "2026-02-01"})
    assert resp.status_code == 422
    body = resp.content.decode()
    assert "完成时限早于开始日期" in body
    assert not Project.objects.exists()


def test_import_page_lists_row_problems(client, users):
    client.force_login(users["street"])
    sheet = ("项目名称,类别,责任区域代码,责任人,责任单位,开始日期,完成时限\n"
             "甲,01,310101002,王,单位,2026-01-01,2026-02-01\n"
             "乙,01,310101002,,单位,2026-01-01,2026-02-01\n").encode()
    resp = client.post("/command/projects/import/", {"file": SimpleUploadedFile("p.csv", sheet, "text/csv")})
    assert resp.status_code == 422
    body = resp.content.decode()
    assert "<td>3</td>" in body and "责任人" in body
    assert not Project.objects.exists()
