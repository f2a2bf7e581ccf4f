"""Supervisory actions: issue, history, closure, scope, and the command screen's cards."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridgov.core.errors import Conflict, FieldError, NotFound
from tests.command import score_world as w

TZ = ZoneInfo("Asia/Shanghai")


world = w.world  # the shared scorecard world (tests/command/score_world.py)


def _issue(world, **kw):
    from gridgov.command import responsibility_services as services

    args = {"actor": world["district"], "kind": "listed", "title": "入室盗窃警情上升", "reason": "连续三周黄色预警",
            "deadline": date(2026, 12, 10), "area_code": w.A, "today": date(2026, 12, 1)}
    args.update(kw)
    return services.supervision_issue(**args)


def test_issue_note_close_with_history_and_audit(world):
    from gridgov.command import responsibility_services as services
    from gridgov.core.models import AuditEvent

    a = _issue(world)
    services.supervision_note(actor=world["district"], action_id=a.pk, note="已约谈派出所所长")
    closed = services.supervision_close(actor=world["district"], action_id=a.pk, version=a.version,
                                        closure_note="警情回落，销号")
    assert closed.status == "closed" and closed.closure_note == "警情回落，销号"
    assert [e.kind for e in closed.events.all()] == ["issued", "note", "closed"]
    assert list(AuditEvent.objects.filter(object_type="command_supervision").order_by("id")
                .values_list("action", flat=True)) == ["CREATE", "UPDATE", "TRANSITION"]
    with pytest.raises(FieldError):
        services.supervision_close(actor=world["district"], action_id=a.pk, version=closed.version, closure_note="x")


def test_stale_version_conflicts(world):
    from gridgov.command import responsibility_services as services

    a = _issue(world)
    services.supervision_close(actor=world["district"], action_id=a.pk, version=a.version, closure_note="办结")
    b = _issue(world)
    with pytest.raises(Conflict):
        services.supervision_close(actor=world["district"], action_id=b.pk, version=b.version + 5, closure_note="办结")


def test_who_may_supervise_whom(world):
    # a street cannot supervise itself nor a sibling street, but may supervise a department of its street
    with pytest.raises(NotFound):
        _issue(world, actor=world["street_a"])
    with pytest.raises(NotFound):
        _issue(world, actor=world["street_a"], area_code=w.B)
    with pytest.raises(NotFound):
        _issue(world, actor=world["street_a"], area_code="", department_code="310101-cm")
    d = _issue(world, actor=world["street_a"], area_code="", department_code="310101001-ys", kind="notice")
    assert d.area_code == w.A and d.department.code == "310101001-ys"
    with pytest.raises(NotFound):
        _issue(world, actor=world["far"])
    with pytest.raises(FieldError):
        _issue(world, deadline=date(2026, 11, 30))
    with pytest.raises(FieldError):
        _issue(world, kind="warning")


def test_supervision_actions_for_the_command_screen(world):
    from gridgov.command.models import SupervisoryAction
    from gridgov.command.supervision import supervision_actions

    issued = datetime(2026, 12, 1, 9, tzinfo=TZ)
    green = _issue(world, title="绿", deadline=date(2026, 12, 10))
    yellow = _issue(world, title="黄", deadline=date(2026, 12, 4), kind="interview")
    red = _issue(world, title="红", deadline=date(2026, 12, 2), kind="notice")
    other = _issue(world, title="外滩", area_code=w.B)
    SupervisoryAction.objects.filter(pk__in=[green.pk, yellow.pk, red.pk, other.pk]).update(issued_at=issued)
    # now: 2026-12-04 12:00. green: 3.1 of 9.6 days elapsed; yellow: 3.1 of 3.6 (86 %); red: past the end of 12-02
    now = datetime(2026, 12, 4, 12, tzinfo=TZ)
    cards = supervision_actions(world["street_a"], w.A, now=now)
    assert [(c["title"], c["colour"], c["kind"]) for c in cards] == [
        ("红", "red", "通报"), ("黄", "yellow", "约谈"), ("绿", "green", "挂牌督办")]
    assert cards[0]["url"] == f"/command/supervision/action/{red.pk}/" and cards[0]["due"] == date(2026, 12, 2)
    assert {c["title"] for c in supervision_actions(world["district"], w.DISTRICT, now=now)} == {"绿", "黄", "红", "外滩"}
    with pytest.raises(NotFound):
        supervision_actions(world["street_a"], w.B, now=now)
    from gridgov.command import responsibility_services as services

    services.supervision_close(actor=world["district"], action_id=red.pk, version=1, closure_note="办结")
    assert [c["title"] for c in supervision_actions(world["street_a"], w.A, now=now)] == ["黄", "绿"]


def test_pages_issue_and_show_on_the_area_scorecard(world, client):
    client.force_login(world["district"])
    deadline = (date.today() + timedelta(days=7)).isoformat()
    r = client.post(f"/command/supervision/{w.DISTRICT}/", {"kind": "interview", "target": w.A, "title": "满意率偏低",
                                                            "reason": "满意率连续两月低于全区", "deadline": deadline})
    assert r.status_code == 302
    client.force_login(world["street_a"])
    html = client.get(f"/command/scorecards/{w.A}/").content.decode()
    assert "满意率偏低" in html and "约谈" in html
    detail = client.get(r["Location"])
    assert detail.status_code == 200 and "满意率连续两月低于全区" in detail.content.decode()
    client.force_login(world["street_b"])
    assert client.get(r["Location"]).status_code == 404
    # a bad form says what is wrong, in Chinese, and writes nothing
    client.force_login(world["district"])
    bad = client.post(f"/command/supervision/{w.DISTRICT}/", {"kind": "interview", "target": w.A, "title": "",
                                                              "reason": "x", "deadline": deadline})
    assert bad.status_code == 200 and "必填" in bad.content.decode()
