"""Reads: scoping (404 outside, 403 without capability), filters, supervision cards, completion."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.command import project_selectors as sel
from gridgov.command import project_services as svc
from gridgov.core.errors import Forbidden, NotFound

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 1, 20, 10, 0, tzinfo=SH)


@pytest.fixture
def four(new_project, users):
    """Projects at NOW = 2026-01-20: overdue, yellow, green (南京东路), and overdue in 310101013."""
    district = users["district"]
    return {
        "overdue": new_project(title="逾期项目", start_date="2026-01-01", deadline="2026-01-10"),
        "yellow": new_project(title="临期项目", start_date="2026-01-01", deadline="2026-01-22", category="03"),
        "green": new_project(title="正常项目", start_date="2026-01-15", deadline="2026-06-30", is_key=True),
        "elsewhere": new_project(actor=district, title="别街项目", area_code="310101013",
                                 start_date="2025-12-01", deadline="2026-01-05"),
    }


def test_scope_404_and_403(four, users):
    assert sel.project_get(users["street"], four["overdue"].pk).pk == four["overdue"].pk
    with pytest.raises(NotFound):
        sel.project_get(users["street"], four["elsewhere"].pk)
    with pytest.raises(Forbidden):
        sel.project_get(users["grid"], four["overdue"].pk)
    assert {p.title for p in sel.projects_visible(users["district"])} == {"逾期项目", "临期项目", "正常项目", "别街项目"}
    assert {p.title for p in sel.projects_visible(users["city"])} == {"逾期项目", "临期项目", "正常项目", "别街项目"}


def test_filters(four, users):
    street = users["street"]
    titles = lambda rows: [r.project.title for r in rows]  # noqa: E731
    assert titles(sel.project_list(street, colour="red", now=NOW)) == ["逾期项目"]
    assert titles(sel.project_list(street, colour="yellow", now=NOW)) == ["临期项目"]
    assert titles(sel.project_list(street, colour="green", now=NOW)) == ["正常项目"]
    assert titles(sel.project_list(street, category="03", now=NOW)) == ["临期项目"]
    assert titles(sel.project_list(street, key="1", now=NOW)) == ["正常项目"]
    assert titles(sel.project_list(street, key="1", year=2025, now=NOW)) == []
    assert titles(sel.project_list(users["district"], area="310101013", now=NOW)) == ["别街项目"]
    assert titles(sel.project_list(street, area="310101013", now=NOW)) == []


def test_actions_cards_for_the_area(four, users):
    cards = sel.project_actions(users["district"], "310101002", now=NOW)
    assert [(c["kind"], c["colour"], c["due"]) for c in cards] == [
        ("project_overdue", "red", "2026-01-10"), ("project_due", "yellow", "2026-01-22")]
    assert cards[0]["url"] == f"/command/projects/{four['overdue'].pk}/"
    assert "逾期项目" in cards[0]["title"]
    # the other street's card is not on this area's screen, and its centre cannot see ours
    assert [c["due"] for c in sel.project_actions(users["district"], "310101013", now=NOW)] == ["2026-01-05"]
    assert sel.project_actions(users["other"], "310101002", now=NOW) == []
    assert sel.project_actions(users["grid"], "310101002", now=NOW) == []
    # done: no card any more
    p = four["overdue"]
    svc.project_transition(actor=users["street"], project_id=p.pk, version=p.version, status="in_progress")
    svc.project_transition(actor=users["street"], project_id=p.pk, version=p.version + 1, status="done")
    assert [c["kind"] for c in sel.project_actions(users["street"], "310101002", now=NOW)] == ["project_due"]


def test_completion_share_of_projects_due_in_the_month(new_project, users):
    street = users["street"]

    def finish(p, on):
        svc.project_transition(actor=street, project_id=p.pk, version=p.version, status="in_progress")
        svc.project_transition(actor=street, project_id=p.pk, version=p.version + 1, status="done", today=on)

    assert sel.project_completion("310101002", date(2026, 3, 1), date(2026, 3, 31)) is None
    a = new_project(deadline="2026-03-10")
    b = new_project(deadline="2026-03-20")
    c = new_project(deadline="2026-03-31")
    d = new_project(deadline="2026-03-15")
    new_project(deadline="2026-04-01")  # not due in March
    finish(a, date(2026, 3, 10))  # on time (the deadline day itself)
    finish(b, date(2026, 3, 21))  # late
    svc.project_transition(actor=street, project_id=d.pk, version=1, status="cancelled", note="撤销")  # left out
    # due in March and not cancelled: a, b, c; on time: a
    assert sel.project_completion("310101002", date(2026, 3, 1), date(2026, 3, 31)) == pytest.approx(1 / 3)
    assert sel.project_completion("310101013", date(2026, 3, 1), date(2026, 3, 31)) is None
    assert c.status == "planned"


def test_timeline_positions(four, users):
    rows = sel.project_list(users["street"], now=NOW)
    chart = sel.timeline(rows, now=NOW)
    # span 2026-01-01 .. 2026-06-30 = 181 days
    bars = {b["row"].project.title: b for b in chart["bars"]}
    assert bars["逾期项目"]["left"] == 0.0
    assert bars["逾期项目"]["width"] == pytest.approx(round(100 * 10 / 181, 3))
    assert bars["正常项目"]["left"] == pytest.approx(round(100 * 14 / 181, 3))
    assert chart["today"] == pytest.approx(round(100 * 19 / 181, 3))
