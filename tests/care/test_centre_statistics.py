"""The 综治中心 need figures without files: street and district centres see the care statistics of
their area (caseload per programme, overdue contacts, 脱管/漏管 alerts, pending transfers), small
cells suppressed, never a name; files stay closed to them."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.care import selectors, services, suppress
from gridgov.care.models import Alert, Enrolment
from gridgov.core.errors import Forbidden
from gridgov.core.models import AuditEvent

from .conftest import AWAY, HOME, HOME2, TODAY

STREET = HOME[:9]            # 310101002
OTHER_STREET = "310101003001001"


@pytest.fixture
def caseload(enrol, users):
    """黄浦 street 002: 7 mental health, 6 corrections (one absent, 脱管), 2 youth; street 003: 1
    corrections; 徐汇: 5 mental health (outside the 黄浦 centres)."""
    made = {"mh": [enrol("mental_health", f"精{i}", grid_code=HOME if i % 2 else HOME2) for i in range(7)],
            "co": [enrol("corrections", f"矫{i}") for i in range(6)],
            "yo": [enrol("youth", f"青{i}") for i in range(2)],
            "co3": [enrol("corrections", "矫外", grid_code=OTHER_STREET)],
            "away": [enrol("mental_health", f"徐{i}", grid_code=AWAY) for i in range(5)]}
    services.absence_report(actor=users["social_worker"], programme="corrections", enrolment_id=made["co"][0].pk,
                            cause="连续两周未报到", today=TODAY)
    return made


def _expected_contacts_overdue(prefix: str, today: date) -> int:
    """Oracle: overdue contacts of active unsealed enrolments counted straight from the rows."""
    from gridgov.care.models import Contact

    return sum(1 for c in Contact.objects.select_related("enrolment")
               if c.grid_code.startswith(prefix) and c.enrolment.status == "active" and not c.enrolment.sealed
               and (c.status == "overdue" or (c.status == "scheduled" and c.due_date and c.due_date < today)))


@pytest.mark.parametrize("role", ["street_centre", "district_centre"])
def test_centres_see_counts_of_their_area_with_suppression(caseload, users, role):
    user = users[role]
    s = selectors.area_statistics(user, area_level=9, today=TODAY)
    assert [p["code"] for p in s["programmes"]] == ["corrections", "resettlement", "rehabilitation", "youth",
                                                      "street_children", "mental_health"]
    rows = {r["area"]: r for r in s["rows"]}
    assert set(rows) == {STREET, OTHER_STREET[:9]}  # 徐汇 is outside 310101
    # raw table (areas x programmes + totals), suppressed by the module's own rule as the oracle
    raw = [[6, 0, 0, 2, 0, 7], [1, 0, 0, 0, 0, 0]]
    full = [r + [sum(r)] for r in raw]
    full.append([sum(c) for c in zip(*full, strict=True)])
    expected = suppress.suppress_table(full)
    published = [[*r["by_programme"].values(), r["total"]] for r in (rows[STREET], rows[OTHER_STREET[:9]])]
    published.append([*s["totals"]["by_programme"].values(), s["totals"]["total"]])
    assert published == expected
    assert rows[STREET]["by_programme"]["youth"] is None and rows[OTHER_STREET[:9]]["total"] is None  # 2 and 1
    # one area (the district): nothing to recompute, the counts of 5 and more are shown
    d = selectors.area_statistics(user, area_level=6, today=TODAY)["rows"]
    assert [(r["area"], r["by_programme"]["mental_health"], r["by_programme"]["corrections"]) for r in d] == [
        ("310101", 7, 7)]
    # alerts: one 脱管 in the street: suppressed (< 5), total likewise
    assert rows[STREET]["absent_open"] is None and s["totals"]["absent_open"] is None
    overdue = _expected_contacts_overdue("310101", TODAY)
    district = selectors.area_statistics(user, area_level=6, today=TODAY)
    assert overdue >= 5 and district["rows"][0]["overdue_contacts"] == overdue == district["totals"]["overdue_contacts"]
    # never a name or an id of a record anywhere in the answer
    text = repr(s)
    assert not any(e.person.name in text for group in caseload.values() for e in group)
    assert "enrolment" not in text and "person" not in text
    assert set(AuditEvent.objects.filter(actor_id=user.pk, object_type="care.statistics")
               .values_list("action", flat=True)) == {"READ"}


def test_centres_get_programme_statistics_but_no_file(caseload, users, client_for):
    c = client_for(users["street_centre"])
    r = c.get("/api/v1/care/mental_health/statistics?area_level=9")
    assert r.status_code == 200 and r.json()["rows"][0]["total"] == 7
    assert c.get("/api/v1/care/statistics?area_level=12").status_code == 200
    e = caseload["mh"][0]
    assert c.get(f"/api/v1/care/mental_health/enrolments/{e.pk}").status_code == 403
    assert c.get("/api/v1/care/mental_health/enrolments").status_code == 403
    assert c.get("/api/v1/care/worklist").status_code == 403


def test_sealed_records_are_never_counted(enrol, users):
    for i in range(5):
        enrol("youth", f"封{i}", birth=date(2010, 1, 1))
    one = Enrolment.objects.filter(programme="youth").first()
    services.enrolment_seal(actor=users["social_worker"], programme="youth", enrolment_id=one.pk, reason="封存")
    s = selectors.area_statistics(users["district_centre"], area_level=6, today=TODAY)
    # 4 unsealed: suppressed; had the sealed one counted it would read 5
    assert s["rows"][0]["by_programme"]["youth"] is None


def test_missed_report_alerts_include_overdue_transfers(enrol, users):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    sh = ZoneInfo("Asia/Shanghai")
    for i in range(5):
        e = enrol("corrections", f"迁{i}")
        services.transfer_offer(actor=users["social_worker"], programme="corrections", enrolment_id=e.pk,
                                to_grid_code=OTHER_STREET, reason="本人报告已迁居",
                                now=datetime(2026, 3, 2, 10, 0, tzinfo=sh))
    assert services.transfers_check(now=datetime(2026, 3, 20, 10, 0, tzinfo=sh)) == 5
    s = selectors.area_statistics(users["street_centre"], area_level=6, today=TODAY)
    assert (s["rows"][0]["missed_open"], s["rows"][0]["transfers_pending"]) == (5, 5)
    assert Alert.objects.filter(kind="missed_report", grid_code=OTHER_STREET).count() == 5


def test_roles_without_care_or_command_capability_get_403(users):
    for role in ("grid_worker", "community_staff", "department_handler", "auditor"):
        with pytest.raises(Forbidden):
            selectors.area_statistics(users[role], area_level=9, today=TODAY)


def test_street_user_page_and_navigation(caseload, users, client_for):
    c = client_for(users["street_centre"])
    r = c.get("/care/")
    assert r.status_code == 302 and r["Location"].endswith("/care/statistics/")
    page = c.get("/care/statistics/?area_level=9").content.decode()
    assert 'data-testid="area-caseload"' in page and "精0" not in page and "矫0" not in page
    assert 'href="/care/"' in page  # the navigation entry
    assert c.get("/care/statistics/?area_level=7").status_code == 200  # a bad level falls back to streets
    assert client_for(users["grid_worker"]).get("/care/statistics/").status_code == 403
