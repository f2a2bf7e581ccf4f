"""Reporting: location -> grid, channels, idempotent offline submissions, duplicates, scoping."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from gridgov.cases import services
from gridgov.cases.models import Case, CaseEvent
from gridgov.core.errors import Conflict, FieldError, Forbidden
from gridgov.core.models import AuditEvent
from gridgov.geo.selectors import locate_codes
from tests.cases.conftest import PEOPLES_SQUARE

LON, LAT = PEOPLES_SQUARE


@pytest.fixture
def square_grid(city):
    return locate_codes([LON], [LAT])[0]


@pytest.fixture
def worker(make_user, square_grid, taxonomy):
    return make_user("gw", ("grid_worker", square_grid), ("grid_worker", square_grid[:9], "search"))


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_report_locates_the_grid_and_starts_the_accept_clock(worker, square_grid):
    case, created = services.case_report(actor=worker, category_code="E0102", description="路口暴露垃圾",
                                         lon=LON, lat=LAT)
    assert created and case.grid_code == square_grid and case.state == "reported"
    assert case.stage == "accept" and case.stage_deadline > case.stage_started_at
    assert CaseEvent.objects.filter(case=case, action="report").count() == 1
    assert AuditEvent.objects.filter(object_type="case", object_id=str(case.pk), action="CREATE").exists()


def test_idempotent_offline_submission_same_payload_returns_original(worker):
    key = uuid.uuid4()
    client = _client(worker)
    body = {"category": "E0102", "description": "垃圾", "lon": LON, "lat": LAT, "client_uuid": str(key)}
    first = client.post("/api/v1/cases/", body, content_type="application/json")
    again = client.post("/api/v1/cases/", body, content_type="application/json")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.filter(client_uuid=key).count() == 1
    changed = client.post("/api/v1/cases/", {**body, "description": "另一件事"}, content_type="application/json")
    assert changed.status_code == 409 and changed.json()["error"]["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_idempotency_key_of_another_user_is_409(worker, make_user, square_grid):
    other = make_user("gw2", ("grid_worker", square_grid))
    key = uuid.uuid4()
    services.case_report(actor=worker, category_code="E0102", description="x", lon=LON, lat=LAT, client_uuid=key)
    with pytest.raises(Conflict):
        services.case_report(actor=other, category_code="E0102", description="x", lon=LON, lat=LAT, client_uuid=key)


def test_idempotent_transition_and_note(worker, make_user, square_grid, departments):
    centre = make_user("ctr", ("district_centre", "310101"))
    case, _ = services.case_report(actor=worker, category_code="E0102", description="x", lon=LON, lat=LAT)
    key = uuid.uuid4()
    services.case_transition(actor=centre, case_id=case.pk, action="accept", client_uuid=key)
    again = services.case_transition(actor=centre, case_id=case.pk, action="accept", client_uuid=key)
    assert again.state == "accepted" and again.version == 2
    with pytest.raises(Conflict):
        services.case_transition(actor=centre, case_id=case.pk, action="register", client_uuid=key)
    note_key = uuid.uuid4()
    services.case_note_add(actor=worker, case_id=case.pk, note="补充", client_uuid=note_key)
    services.case_note_add(actor=worker, case_id=case.pk, note="补充", client_uuid=note_key)
    assert CaseEvent.objects.filter(case=case, action="note").count() == 1


def test_report_outside_capture_scope_is_403_and_outside_grids_422(worker, square_grid):
    other = locate_codes([121.49], [31.215])[0]
    assert other is not None and other != square_grid
    with pytest.raises(Forbidden):
        services.case_report(actor=worker, category_code="E0102", description="x", lon=121.49, lat=31.215)
    with pytest.raises(FieldError) as exc:
        services.case_report(actor=worker, category_code="E0102", description="x", lon=100.0, lat=30.0)
    assert exc.value.reason_code == "outside_grids"
    with pytest.raises(FieldError) as exc:
        services.case_report(actor=worker, category_code="E01", description="x", lon=LON, lat=LAT)
    assert exc.value.field == "category"


def test_hotline_entry_needs_callback_number_and_masks_it(make_user, square_grid, taxonomy):
    operator = make_user("op", ("street_centre", square_grid[:9]))
    with pytest.raises(FieldError) as exc:
        services.case_report(actor=operator, category_code="E0501", description="占道经营", lon=LON, lat=LAT,
                             channel="hotline", caller_name="王先生")
    assert exc.value.field == "caller_phone"
    case, _ = services.case_report(actor=operator, category_code="E0501", description="占道经营", lon=LON, lat=LAT,
                                   channel="hotline", caller_name="王先生", caller_phone="13912345678")
    detail = _client(operator).get(f"/api/v1/cases/{case.pk}").json()
    assert detail["caller_phone"] == "139****5678"
    assert "13912345678" not in str(AuditEvent.objects.filter(object_type="case").values_list("changes", flat=True))


def test_duplicates_suggested_within_the_radius(worker):
    first, _ = services.case_report(actor=worker, category_code="E0102", description="垃圾", lon=LON, lat=LAT)
    here = locate_codes([LON], [LAT])[0]
    dlon = next(d for d in (0.0003, -0.0003) if locate_codes([LON + d], [LAT])[0] == here)
    r = _client(worker).post("/api/v1/cases/", {"category": "E0102", "description": "垃圾又来", "lon": LON + dlon,
                                               "lat": LAT}, content_type="application/json")
    dups = r.json()["possible_duplicates"]
    assert [d["id"] for d in dups] == [first.pk] and 20 < dups[0]["distance_m"] < 40
    far = _client(worker).get(f"/api/v1/cases/duplicates?category=E0102&lon={LON + 0.01}&lat={LAT}").json()
    assert far["results"] == []
    other_cat = _client(worker).get(f"/api/v1/cases/duplicates?category=E0101&lon={LON}&lat={LAT}").json()
    assert other_cat["results"] == []


def test_scoping_grid_prefix_and_department_membership(actors, make_case, departments):
    mine = make_case("reported")
    other_street = make_case("reported", grid_code="310101002001001")
    far = make_case("dispatched", grid_code="310104001001001", lead="310104-cm")
    worker = _client(actors["worker"])  # capture at the grid, search over the street
    ids = {r["id"] for r in worker.get("/api/v1/cases/?limit=200").json()["items"]}
    assert mine.pk in ids and other_street.pk not in ids and far.pk not in ids
    assert worker.get(f"/api/v1/cases/{other_street.pk}").status_code == 404
    # a department handler sees the cases of his department outside his own jurisdiction
    far_handler = _client(actors["far_handler"])
    ids = {r["id"] for r in far_handler.get("/api/v1/cases/?limit=200").json()["items"]}
    assert far.pk in ids and mine.pk not in ids
    assert far_handler.get(f"/api/v1/cases/{far.pk}").json()["actions"] == ["start", "send_back",
                                                                            "request_extension"]
    # no case capability at all: 403
    assert _client(actors["auditor"]).get("/api/v1/cases/").status_code == 403
    # reading a worklist that needs another capability: 403
    assert worker.get("/api/v1/cases/?worklist=queue").status_code == 403


def test_list_has_bounded_queries(actors, make_case, django_assert_max_num_queries):
    for _ in range(30):
        make_case("registered")
    client = _client(actors["centre"])
    client.get("/api/v1/cases/?limit=5")
    with django_assert_max_num_queries(14):
        r = client.get("/api/v1/cases/?limit=50")
    assert r.json()["count"] == 30 and len(r.json()["items"]) == 30
