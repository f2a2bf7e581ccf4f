"""Pages: landing, intake desk, worklists, mobile, detail with actions, map, scorecard, photos."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from gridgov.cases.models import Attachment, Case, CaseEvent, CaseTask
from gridgov.geo.selectors import locate_codes
from tests.cases.conftest import PEOPLES_SQUARE
from tests.cases.images import has_gps, image, jpeg_with_gps

LON, LAT = PEOPLES_SQUARE


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def people(make_user, city, departments):
    from gridgov.cases.services import department_member_add

    grid = locate_codes([LON], [LAT])[0]
    handler = make_user("h1", ("department_handler", "310101"))
    department_member_add(department=departments["gs"], user=handler)
    return {"grid": grid, "worker": make_user("w1", ("grid_worker", grid), ("grid_worker", grid[:9], "search")),
            "street": make_user("s1", ("street_centre", grid[:9])), "handler": handler,
            "auditor": make_user("a1", ("auditor", "31"))}


def test_home_lists_the_worklists_of_each_role(people):
    body = _client(people["street"]).get("/cases/").content.decode()
    assert 'data-testid="worklist-queue"' in body and 'data-testid="link-intake"' in body
    body = _client(people["handler"]).get("/cases/").content.decode()
    assert 'data-testid="worklist-department"' in body and "worklist-queue" not in body
    assert _client(people["auditor"]).get("/cases/").status_code == 403


def test_hotline_intake_is_idempotent_on_double_submit(people):
    client = _client(people["street"])
    form = {"category": "E0501", "description": "路边摊", "lon": LON, "lat": LAT, "channel": "hotline",
            "caller_name": "王", "caller_phone": "13800001111", "client_uuid": str(uuid.uuid4())}
    first = client.post("/cases/new/", form)
    second = client.post("/cases/new/", form)
    assert first.status_code == 302 and first["Location"] == second["Location"]
    assert Case.objects.count() == 1
    detail = client.get(first["Location"]).content.decode()
    assert "138****1111" in detail and "13800001111" not in detail
    bad = client.post("/cases/new/", {**form, "client_uuid": str(uuid.uuid4()), "caller_phone": ""})
    assert bad.status_code == 200 and "来电号码：热线来电须登记回访电话" in bad.content.decode()


def test_mobile_report_with_photo_then_verify_from_the_list(people, media, make_case):
    client = _client(people["worker"])
    photo = _upload(jpeg_with_gps())
    r = client.post("/cases/mobile/", {"category": "E0102", "description": "垃圾", "lon": LON, "lat": LAT,
                                       "channel": "grid", "client_uuid": str(uuid.uuid4()), "photo": photo})
    assert r.status_code == 302
    case = Case.objects.get()
    att = case.attachments.get()
    staff = client.get(f"/cases/attachments/{att.pk}/")
    assert staff.status_code == 200 and has_gps(b"".join(staff.streaming_content))  # staff see the original
    handled = make_case("handled", grid_code=people["grid"], lead="310101-gs")
    body = client.get("/cases/mobile/").content.decode()
    assert f'data-case-id="{handled.pk}"' in body
    r = client.post(f"/cases/{handled.pk}/act/", {"action": "verify", "version": handled.version,
                                                  "next": "/cases/mobile/"})
    assert r.status_code == 302 and r["Location"] == "/cases/mobile/"
    assert Case.objects.get(pk=handled.pk).state == "verified"


def test_detail_page_offers_the_allowed_actions_and_runs_them(people, make_case):
    case = make_case("registered", grid_code=people["grid"], category="E0102", lon=LON, lat=LAT)
    client = _client(people["street"])
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="form-dispatch"' in body and "310101-gs" in body  # suggested department
    assert 'data-testid="form-verify"' not in body
    r = client.post(f"/cases/{case.pk}/act/", {"action": "dispatch", "version": 1, "lead_department": "310101-gs",
                                               "note": "请处置"})
    assert r.status_code == 302
    assert Case.objects.get(pk=case.pk).state == "dispatched"
    stale = client.post(f"/cases/{case.pk}/act/", {"action": "supervise", "version": 1, "card": "red",
                                                   "note": "x"}, follow=True)
    assert "请刷新后重试" in stale.content.decode()
    body = _client(people["handler"]).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="form-start"' in body
    assert _client(people["auditor"]).get(f"/cases/{case.pk}/").status_code == 403


def test_worklists_map_and_scorecard_pages(people, make_case):
    make_case("reported", grid_code=people["grid"], lon=LON, lat=LAT)
    client = _client(people["street"])
    r = client.get("/cases/w/queue/")
    assert r.status_code == 200 and b'data-testid="case-row"' in r.content
    assert client.get("/cases/w/nope/").status_code == 404
    assert client.get("/cases/map/").status_code == 200
    fc = client.get("/api/v1/cases/map.geojson").json()
    assert fc["features"][0]["properties"]["colour"] in ("green", "yellow", "red")
    assert client.get("/cases/scorecard/?group=region").status_code == 200
    xlsx = client.get("/cases/scorecard/?group=region&format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
def test_upload_types_by_content(people, media, make_case, fmt):
    case = make_case("reported", grid_code=people["grid"])
    client = _client(people["worker"])
    r = client.post(f"/api/v1/cases/{case.pk}/attachments", {"file": _upload(image(fmt), "x.bin")})
    assert r.status_code == 201 and r.json()["content_type"] == f"image/{fmt.lower()}"


def test_upload_refuses_other_content_and_oversize(people, media, make_case, settings):
    case = make_case("reported", grid_code=people["grid"])
    client = _client(people["worker"])
    r = client.post(f"/api/v1/cases/{case.pk}/attachments", {"file": _upload(b"GIF89a" + b"\0" * 100, "x.jpg")})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["code"] == "unsupported_type"
    r = client.post(f"/api/v1/cases/{case.pk}/attachments", {"file": _upload(image("GIF"), "x.png")})
    assert r.status_code == 422
    big = image("JPEG") + b"\0" * (10 * 1024 * 1024)
    r = client.post(f"/api/v1/cases/{case.pk}/attachments", {"file": _upload(big, "big.jpg")})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["code"] == "too_large"
    assert not Attachment.objects.exists()
    other = make_case("reported", grid_code="310104001001001")
    r = client.post(f"/api/v1/cases/{other.pk}/attachments", {"file": _upload(image("PNG"), "x.png")})
    assert r.status_code == 404


@pytest.fixture
def joint_case(actors, make_case):
    """A case dispatched to 310101-cm (lead) with 310101-gs and 310101-water assisting; returns (case, lead task,
    the 310101-gs task)."""
    from gridgov.cases import services

    case = make_case("registered")
    services.case_transition(actor=actors["dispatcher"], case_id=case.pk, action="dispatch",
                             params={"lead_department": "310101-cm", "assist_departments": ["310101-gs", "310101-water"]})
    lead = CaseTask.objects.get(case=case, role=CaseTask.Role.LEAD)
    assist = CaseTask.objects.get(case=case, role=CaseTask.Role.ASSIST, department__code="310101-gs")
    return case, lead, assist


def test_the_dispatcher_cancels_an_assisting_task_on_the_case_page(actors, joint_case):
    case, lead, assist = joint_case
    client = _client(actors["dispatcher"])
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'data-testid="task-cancel-{assist.pk}"' in body
    assert f'action="/cases/{case.pk}/tasks/{assist.pk}/cancel/"' in body and "取消协办" in body
    assert f'data-testid="task-cancel-{lead.pk}"' not in body  # the lead task ends by feedback, not here
    r = client.post(f"/cases/{case.pk}/tasks/{assist.pk}/cancel/", {"reason": "无需绿化市容配合"})
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/"
    assist.refresh_from_db()
    assert assist.status == CaseTask.Status.CANCELLED and assist.result == "无需绿化市容配合"
    event = CaseEvent.objects.get(case=case, action="task_cancelled")
    assert event.note == "无需绿化市容配合" and event.actor_id == actors["dispatcher"].pk
    body = client.get(f"/cases/{case.pk}/").content.decode()
    water = CaseTask.objects.get(case=case, department__code="310101-water")
    assert f'data-testid="task-cancel-{assist.pk}"' not in body  # no longer open
    assert f'data-testid="task-cancel-{water.pk}"' in body  # the other assisting task still is
    assert '<li data-action="task_cancelled">' in body and "协办任务已取消" in body  # the timeline's label


def test_cancelling_an_assisting_task_needs_a_reason(actors, joint_case):
    case, _lead, assist = joint_case
    r = _client(actors["dispatcher"]).post(f"/cases/{case.pk}/tasks/{assist.pk}/cancel/", {"reason": "  "},
                                           follow=True)
    assert r.redirect_chain == [(f"/cases/{case.pk}/", 302)]
    assert 'class="msg-error">理由：不能为空</li>' in r.content.decode()
    assist.refresh_from_db()
    assert assist.status == CaseTask.Status.OPEN
    assert not CaseEvent.objects.filter(case=case, action="task_cancelled").exists()


def test_only_the_dispatching_centre_may_cancel_an_assisting_task(actors, joint_case):
    case, _lead, assist = joint_case
    gs = _client(actors["gs_handler"])  # the assisting department itself: it may report done, not cancel
    body = gs.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/tasks/{assist.pk}/done/"' in body
    assert "/cancel/" not in body and "取消协办" not in body
    lead_handler = _client(actors["handler"])
    assert "/cancel/" not in lead_handler.get(f"/cases/{case.pk}/").content.decode()
    r = lead_handler.post(f"/cases/{case.pk}/tasks/{assist.pk}/cancel/", {"reason": "不需要"}, follow=True)
    assert "只有派遣该事件的中心可以撤销任务" in r.content.decode()
    assist.refresh_from_db()
    assert assist.status == CaseTask.Status.OPEN and assist.result == ""
    assert not CaseEvent.objects.filter(case=case, action="task_cancelled").exists()


def _upload(data: bytes, name: str = "photo.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")
