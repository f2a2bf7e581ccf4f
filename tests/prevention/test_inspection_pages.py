"""The inspection pages: record an inspection, move it through the loop (report, accept, reject),
the open-rectification list with its filters and deadline colours; scope (404) and capability (403)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from gridgov.cases.workcal import WorkCalendar
from gridgov.core.models import AuditEvent
from gridgov.prevention import selectors
from gridgov.prevention.models import Inspection, Venue

SH = ZoneInfo("Asia/Shanghai")


def _table(page: str) -> str:
    return page.split('data-testid="inspection-rows"')[1].split("</table>")[0]


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_the_deadline_clock_counts_working_time_like_the_cases():
    # Mon 2 to Fri 6 March 2026, every day a working day of 8 hours (09-12, 13-18): 40 hours
    days = {dt.date(2026, 3, d): True for d in range(2, 7)} | {dt.date(2026, 3, 7): False, dt.date(2026, 3, 8): False}
    cal = WorkCalendar(days)
    ins = Inspection(inspected_on=dt.date(2026, 3, 2), deadline=dt.date(2026, 3, 6), state="rectifying")
    # Thursday 12:00: Mon-Wed 24 h + Thu 3 h = 27 of 40 hours
    assert selectors.inspection_clock(ins, cal=cal, now=dt.datetime(2026, 3, 5, 12, tzinfo=SH)) == (27 / 40, "green")
    # Friday 10:00: 32 + 1 = 33 of 40 (82.5 %): due soon
    assert selectors.inspection_clock(ins, cal=cal, now=dt.datetime(2026, 3, 6, 10, tzinfo=SH)) == (33 / 40, "yellow")
    # Saturday: past the deadline
    assert selectors.inspection_clock(ins, cal=cal, now=dt.datetime(2026, 3, 7, 10, tzinfo=SH))[1] == "red"
    # a deadline on a rest day: its working time is spent on Friday evening, yet it is not overdue
    # before the day is over
    weekend = Inspection(inspected_on=dt.date(2026, 3, 2), deadline=dt.date(2026, 3, 7), state="rectifying")
    assert selectors.inspection_clock(weekend, cal=cal, now=dt.datetime(2026, 3, 7, 20, tzinfo=SH)) == (0.99, "yellow")
    assert selectors.inspection_clock(weekend, cal=cal, now=dt.datetime(2026, 3, 8, 0, 1, tzinfo=SH))[1] == "red"
    ins.state = "overdue"
    assert selectors.inspection_clock(ins, cal=cal, now=dt.datetime(2026, 3, 3, 10, tzinfo=SH)) == (1.0, "red")
    ins.state = "submitted"  # waits for acceptance: no running clock
    assert selectors.inspection_clock(ins, cal=cal, now=dt.datetime(2026, 3, 3, 10, tzinfo=SH)) == (None, "")


@pytest.fixture
def venues(grids):
    (g1, *_), (g2, *_), _ = grids
    return (Venue.objects.create(code="V1", name="平安宾馆", type="hotel", grid_code=g1, hazard=3),
            Venue.objects.create(code="V2", name="星空网吧", type="internet_cafe", grid_code=g2))


@pytest.mark.django_db
def test_record_and_walk_the_loop_through_the_pages(grids, make_user, venues):
    (g1, *_), _, _ = grids
    police = _client(make_user("pol", ("police_officer", g1[:9])))
    today = dt.date.today()
    r = police.get("/prevention/inspections/")
    assert r.status_code == 200 and "V1" in r.content.decode()  # the venue list of the form
    # rejected: a deadline without findings, and an unknown venue
    r = police.post("/prevention/inspections/", {"venue": "V1", "inspected_on": today.isoformat(), "findings": "",
                                                 "deadline": (today + dt.timedelta(days=10)).isoformat()})
    assert r.status_code == 400 and Inspection.objects.count() == 0
    r = police.post("/prevention/inspections/", {"venue": "NOPE", "inspected_on": today.isoformat()})
    assert r.status_code == 400 and "场所" in r.content.decode()
    r = police.post("/prevention/inspections/", {"venue": "V1", "inspected_on": today.isoformat(),
                                                 "findings": "消防通道堵塞",
                                                 "deadline": (today + dt.timedelta(days=10)).isoformat()})
    ins = Inspection.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/prevention/inspections/{ins.pk}/"
    assert (ins.state, ins.venue.code, ins.findings) == ("rectifying", "V1", "消防通道堵塞")
    page = police.get(r["Location"]).content.decode()
    assert "消防通道堵塞" in page and 'value="report"' in page and 'value="accept"' not in page

    r = police.post(f"/prevention/inspections/{ins.pk}/", {"action": "report", "version": 1, "note": "已清理"})
    assert r.status_code == 302 and Inspection.objects.get().state == "submitted"
    page = police.get(r["Location"]).content.decode()
    assert 'value="accept"' in page and 'value="reject"' in page and "已清理" in page
    # a stale page (version 1 again) changes nothing
    police.post(f"/prevention/inspections/{ins.pk}/", {"action": "accept", "version": 1})
    assert Inspection.objects.get().state == "submitted"
    police.post(f"/prevention/inspections/{ins.pk}/", {"action": "reject", "version": 2, "note": "仍有杂物"})
    assert Inspection.objects.get().state == "rectifying"
    police.post(f"/prevention/inspections/{ins.pk}/", {"action": "expire", "version": 3})  # the sweep's, not a page's
    assert Inspection.objects.get().state == "rectifying"
    police.post(f"/prevention/inspections/{ins.pk}/", {"action": "report", "version": 3})
    police.post(f"/prevention/inspections/{ins.pk}/", {"action": "accept", "version": 4})
    assert Inspection.objects.get().state == "closed"
    steps = list(AuditEvent.objects.filter(object_type="inspection", object_id=str(ins.pk)).order_by("id")
                 .values_list("action", "changes__state"))
    assert steps == [("CREATE", "rectifying"), ("TRANSITION", ["rectifying", "submitted"]),
                     ("TRANSITION", ["submitted", "rectifying"]), ("TRANSITION", ["rectifying", "submitted"]),
                     ("TRANSITION", ["submitted", "closed"])]
    page = police.get(f"/prevention/inspections/{ins.pk}/").content.decode()
    assert 'data-testid="inspection-state">已关闭<' in page and "已清理" in page and "仍有杂物" in page
    assert "平安宾馆" not in _table(police.get("/prevention/inspections/").content.decode())  # closed: not open


@pytest.mark.django_db
def test_open_list_filters_and_colours(grids, make_user, venues):
    (g1, *_), (g2, *_), _ = grids
    v1, v2 = venues
    today = dt.date.today()
    Inspection.objects.create(venue=v1, grid_code=g1, inspected_on=today - dt.timedelta(days=30), findings="a",
                              state="overdue", deadline=today - dt.timedelta(days=5))
    Inspection.objects.create(venue=v2, grid_code=g2, inspected_on=today, findings="b", state="rectifying",
                              deadline=today + dt.timedelta(days=60))
    Inspection.objects.create(venue=v2, grid_code=g2, inspected_on=today - dt.timedelta(days=3), findings="c",
                              state="submitted", deadline=today + dt.timedelta(days=3))
    Inspection.objects.create(venue=v1, grid_code=g1, inspected_on=today, state="passed")
    user = make_user("pol", ("police_officer", g1[:9]))
    rows, total = selectors.inspection_rows(user)
    # the most urgent first: overdue, then the running clock, then the one waiting for acceptance
    assert total == 3 and [r["findings"] for r in rows] == ["a", "b", "c"]
    assert [r["colour"] for r in rows] == ["red", "green", ""]
    assert [r["findings"] for r in selectors.inspection_rows(user, colour="red")[0]] == ["a"]
    assert [r["findings"] for r in selectors.inspection_rows(user, state="submitted")[0]] == ["c"]
    assert [r["findings"] for r in selectors.inspection_rows(user, venue_type="hotel")[0]] == ["a"]
    assert [r["findings"] for r in selectors.inspection_rows(user, area=g2)[0]] == ["b", "c"]
    assert [r["findings"] for r in selectors.inspection_rows(user, q="星空")[0]] == ["b", "c"]
    page = _table(_client(user).get("/prevention/inspections/?colour=red").content.decode())
    assert "clock-red" in page and "平安宾馆" in page and "星空网吧" not in page
    # a grid worker of g2 sees the rectifications of g2 only, and no form
    worker = _client(make_user("gw", ("grid_worker", g2)))
    page = worker.get("/prevention/inspections/").content.decode()
    assert 'data-testid="inspection-form"' not in page
    assert "星空网吧" in _table(page) and "平安宾馆" not in page


@pytest.mark.django_db
def test_scope_and_capability_refusals(grids, make_user, venues):
    (g1, *_), (g2, *_), _ = grids
    v1, _v2 = venues
    today = dt.date.today()
    ins = Inspection.objects.create(venue=v1, grid_code=g1, inspected_on=today, findings="a", state="rectifying",
                                    deadline=today + dt.timedelta(days=5))
    worker_g2 = _client(make_user("gw2", ("grid_worker", g2)))
    assert worker_g2.get(f"/prevention/inspections/{ins.pk}/").status_code == 404  # outside: as absent
    assert worker_g2.get("/prevention/inspections/999999/").status_code == 404
    worker_g1 = _client(make_user("gw1", ("grid_worker", g1)))
    page = worker_g1.get(f"/prevention/inspections/{ins.pk}/")
    assert page.status_code == 200 and 'value="report"' not in page.content.decode()  # may see, not act
    assert worker_g1.post(f"/prevention/inspections/{ins.pk}/", {"action": "report", "version": 1}).status_code == 403
    assert worker_g1.post("/prevention/inspections/", {"venue": "V1", "inspected_on": today.isoformat()}
                          ).status_code == 403
    social = _client(make_user("sw", ("social_worker", g1[:6])))
    assert social.get("/prevention/inspections/").status_code == 403
    assert Inspection.objects.get().state == "rectifying" and Inspection.objects.count() == 1
