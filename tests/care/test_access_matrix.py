"""Every role x every programme x every endpoint -> 200/201 (capability and place), 403 (no
capability), 404 (outside the jurisdiction). The city administrator has no care capability:
administering is not reading sensitive files. Statistics (counts, no names) are open to the roles
with ``command.view`` too (street and district 综治中心, and the city administrator)."""

from __future__ import annotations

import pytest

from gridgov.accounts.capabilities import ROLES
from gridgov.care.codes import PROGRAMME_CODES
from gridgov.care.models import Alert

from .conftest import AWAY, HOME

ROLE_CODES = [r.code for r in ROLES]
CAPS = {r.code: set(r.capabilities) for r in ROLES}

# (name, method, path template, body builder, success status, applies to)
ENDPOINTS = [
    ("list", "get", "/api/v1/care/{p}/enrolments?status=all", None, 200),
    ("search", "get", "/api/v1/care/{p}/search?q={name}", None, 200),
    ("export", "get", "/api/v1/care/{p}/export.csv", None, 200),
    ("statistics", "get", "/api/v1/care/{p}/statistics", None, 200),
    ("file", "get", "/api/v1/care/{p}/enrolments/{id}", None, 200),
    ("handovers", "get", "/api/v1/care/{p}/handovers", None, 200),
    ("alerts", "get", "/api/v1/care/{p}/alerts", None, 200),
    ("worklist", "get", "/api/v1/care/worklist?programme={p}", None, 200),
    ("contact", "post", "/api/v1/care/{p}/enrolments/{id}/contacts",
     lambda e: {"kind": "visit", "done_on": "2026-01-20", "notes": "上门走访"}, 201),
    ("update", "patch", "/api/v1/care/{p}/enrolments/{id}", lambda e: {"version": e.version, "plan": "新计划"}, 200),
    ("team", "post", "/api/v1/care/{p}/enrolments/{id}/team",
     lambda e: {"member_type": "99" if e.programme == "mental_health" else "03", "name": "志愿者丙"}, 201),
    ("absence", "post", "/api/v1/care/{p}/enrolments/{id}/absence", lambda e: {"cause": "多次联系不上"}, 201),
]
DETAIL = {"file", "contact", "update", "team", "absence"}


def _call(client, method, url, body):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data=body, content_type="application/json")


@pytest.fixture
def records(enrol):
    """One enrolment per programme at HOME (黄浦) and one at AWAY (徐汇)."""
    return {p: (enrol(p, f"甲{i}"), enrol(p, f"乙{i}", grid_code=AWAY)) for i, p in enumerate(PROGRAMME_CODES)}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
@pytest.mark.parametrize("programme", PROGRAMME_CODES)
def test_matrix(endpoint, programme, records, users, client_for):
    name, method, template, body_fn, ok = endpoint
    home, away = records[programme]
    capability = f"care.{programme}"
    for role in [*ROLE_CODES, "social_worker_away"]:
        user = users[role]
        base_role = "social_worker" if role == "social_worker_away" else role
        allowed = capability in CAPS[base_role]
        if name == "statistics":  # figures without files: the command centres count too
            allowed = allowed or "command.view" in CAPS[base_role]
        home.refresh_from_db()
        Alert.objects.filter(status="open").update(status="resolved")  # one open absence at a time
        target = away if role == "social_worker_away" and name == "search" else home
        url = template.format(p=programme, id=home.pk, name=target.person.name)
        response = _call(client_for(user), method, url, body_fn(home) if body_fn else None)
        if not allowed:
            expected = 403
        elif role == "social_worker_away" and name in DETAIL:
            expected = 404  # the HOME record is outside 徐汇: absent
        else:
            expected = ok
        assert response.status_code == expected, (role, programme, name, response.content[:300])
        if expected == 403:
            assert response.json()["error"]["code"] == "missing_capability"
        if expected == 200 and name in ("list", "search"):
            ids = {i["id"] for i in response.json()["items"]}
            mine, other = (away, home) if role == "social_worker_away" else (home, away)
            assert mine.pk in ids and other.pk not in ids  # list scoping, even without a filter


def test_404_is_indistinguishable_from_absent(records, users, client_for):
    home, _ = records["corrections"]
    c = client_for(users["social_worker_away"])
    outside = c.get(f"/api/v1/care/corrections/enrolments/{home.pk}")
    absent = c.get("/api/v1/care/corrections/enrolments/999999")
    assert outside.status_code == absent.status_code == 404 and outside.json() == absent.json()
    # the id of another programme is absent too (no cross-programme lookup)
    assert c.get(f"/api/v1/care/youth/enrolments/{home.pk}").status_code == 404


def test_unknown_programme_is_404_and_no_other_groups(users, client_for):
    c = client_for(users["social_worker"])
    for p in ("hiv", "petitioners", "aids_risk"):
        assert c.get(f"/api/v1/care/{p}/enrolments").status_code == 404


def test_anonymous_is_401(records):
    from django.test import Client

    assert Client().get("/api/v1/care/corrections/enrolments").status_code == 401


def test_city_admin_is_refused_everywhere(records, users, client_for):
    c = client_for(users["city_admin"])
    for p in PROGRAMME_CODES:
        assert c.get(f"/api/v1/care/{p}/enrolments").status_code == 403
    assert c.get("/api/v1/care/worklist").status_code == 403
    assert c.get("/api/v1/care/team-cases").status_code == 200  # own team seats only: none
    # files stay closed; the city's figures (counts, no names) are open through command.view
    r = c.get("/care/")
    assert r.status_code == 302 and r["Location"] == "/care/statistics/"
    page = c.get("/care/statistics/").content.decode()
    assert not any(e.person.name in page for pair in records.values() for e in pair)


def test_writes_outside_capture_scope_are_refused(users, make_person, client_for):
    person = make_person("丁", grid_code=AWAY)
    c = client_for(users["social_worker"])
    r = c.post("/api/v1/care/corrections/enrolments", data={"person_id": person.pk, "start_date": "2026-01-05",
                                                            "fields": {"rectifying_category": "02"}},
               content_type="application/json")
    assert r.status_code == 404  # the person is outside 黄浦: absent


def test_search_scope_can_read_but_not_write(make_user, enrol, client_for):
    home = enrol("corrections", "戊")
    reader = make_user("reader", ("social_worker", "310101", "search"))
    c = client_for(reader)
    assert c.get(f"/api/v1/care/corrections/enrolments/{home.pk}").status_code == 200
    r = c.post(f"/api/v1/care/corrections/enrolments/{home.pk}/contacts",
               data={"kind": "visit", "done_on": "2026-01-20"}, content_type="application/json")
    assert r.status_code == 404


def test_mass_assignment_is_refused(users, make_person, client_for):
    person = make_person("己")
    c = client_for(users["social_worker"])
    r = c.post("/api/v1/care/corrections/enrolments",
               data={"person_id": person.pk, "start_date": "2026-01-05", "grid_code": AWAY,
                     "fields": {"rectifying_category": "02"}}, content_type="application/json")
    assert r.status_code == 422
    r = c.post("/api/v1/care/corrections/enrolments",
               data={"person_id": person.pk, "start_date": "2026-01-05",
                     "fields": {"rectifying_category": "02", "petitions": "3"}}, content_type="application/json")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "fields.petitions"
    assert HOME.startswith("310101")
