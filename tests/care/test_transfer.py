"""Care that follows the person: a move in the register (or by hand) offers the enrolment to the
receiving community, which accepts it within a working-day limit; until then it is 待接收 in both
worklists with a 漏管 clock; an overdue offer raises a 漏管 alert once; the sending side keeps read
access only until acceptance; every step is audited."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.care import selectors, services
from gridgov.care.models import Alert, Contact, Enrolment, Transfer
from gridgov.core.errors import Conflict, FieldError, NotFound
from gridgov.core.models import AuditEvent

from .conftest import AWAY, HOME, HOME2

SH = ZoneInfo("Asia/Shanghai")
MON = datetime(2026, 3, 2, 10, 0, tzinfo=SH)          # Monday 10:00
NEXT_MON = datetime(2026, 3, 9, 10, 0, tzinfo=SH)     # + 5 working days of 8 hours (no holiday that week)
AWAY_OTHER = "310104003002002"


@pytest.fixture(autouse=True)
def _fresh_calendar():
    from gridgov.cases.selectors import work_calendar_clear

    work_calendar_clear()
    yield
    work_calendar_clear()


def _move(person, grid_code: str, moved_in: date = date(2026, 3, 1)) -> None:
    """The register: a new residence through the registry's own service (system actor)."""
    from gridgov.registry import services as registry_services
    from gridgov.registry.models import House

    house = House.objects.create(house_code=f"H-{person.pk}-{grid_code}", address="新地址 1 号",
                                 grid_code=grid_code)
    registry_services.person_move_in(actor=None, person_id=person.pk, house_id=house.pk, moved_in=moved_in)


def test_a_move_in_the_register_offers_the_enrolment_with_a_five_working_day_limit(enrol, users):
    e = enrol("corrections", "迁居甲")
    stay = enrol("corrections", "不动乙")
    _move(e.person, AWAY)
    _move(stay.person, HOME2)  # another grid of the same community: no transfer
    assert services.transfers_detect(now=MON) == 1
    t = Transfer.objects.get()
    assert (t.enrolment_id, t.from_grid_code, t.grid_code, t.source, t.status) == (e.pk, HOME, AWAY, "register",
                                                                                  "pending")
    assert t.deadline == NEXT_MON
    # detection again does not offer twice
    assert services.transfers_detect(now=MON) == 0
    row = AuditEvent.objects.get(object_type="care.transfer", object_id=str(t.pk))
    assert (row.action, row.jurisdiction, row.changes["source"], row.changes["enrolment"]) == (
        "CREATE", AWAY, "register", e.pk)


def test_the_limit_counts_working_days_of_the_cases_calendar(enrol, users, settings):
    from gridgov.cases import services as case_services

    e = enrol("corrections", "节日丙")
    case_services.calendar_day_set(day=date(2026, 3, 4), workday=False, note="test holiday")
    t = services.transfer_offer(actor=users["social_worker"], programme="corrections", enrolment_id=e.pk,
                                to_grid_code=AWAY, reason="本人报告已迁居徐汇", now=MON)
    assert t.deadline == datetime(2026, 3, 10, 10, 0, tzinfo=SH)  # one more day for the Wednesday off
    settings.GRIDGOV_CARE_TRANSFER_LIMIT = "2d"
    e2 = enrol("corrections", "节日丁")
    t2 = services.transfer_offer(actor=users["social_worker"], programme="corrections", enrolment_id=e2.pk,
                                 to_grid_code=AWAY, reason="本人报告已迁居徐汇", now=MON)
    assert t2.deadline == datetime(2026, 3, 5, 10, 0, tzinfo=SH)  # Mon, Tue, (Wed off), Thu


def test_pending_shows_in_both_worklists_and_the_receiver_accepts(enrol, users):
    sender, receiver = users["social_worker"], users["social_worker_away"]
    e = enrol("corrections", "迁居戊")
    _move(e.person, AWAY)
    services.transfers_detect(now=MON)
    t = Transfer.objects.get()
    at = datetime(2026, 3, 6, 10, 0, tzinfo=SH)  # Friday: 4 of 5 working days used
    out = selectors.worklist(sender, now=at)["transfers_pending"]
    inc = selectors.worklist(receiver, now=at)["transfers_pending"]
    assert [(r["id"], r["direction"]) for r in out] == [(t.pk, "outgoing")]
    assert [(r["id"], r["direction"], r["person_name"]) for r in inc] == [(t.pk, "incoming", "迁居戊")]
    assert inc[0]["fraction"] == 0.8 and inc[0]["colour"] == "yellow" and not inc[0]["overdue"]
    # before acceptance: the sender reads the whole file, the receiver reads it (read-only) ...
    assert selectors.enrolment_file(sender, "corrections", e.pk)["access"] == "scope"
    assert selectors.enrolment_file(receiver, "corrections", e.pk)["access"] == "transfer"
    with pytest.raises(NotFound):  # ... and cannot write before accepting
        services.contact_record(actor=receiver, programme="corrections", enrolment_id=e.pk, kind="visit",
                                done_on=date(2026, 3, 2), today=date(2026, 3, 2))
    # the sender cannot accept its own offer (the receiving grid is outside its capture scope)
    with pytest.raises(NotFound):
        services.transfer_accept(actor=sender, programme="corrections", transfer_id=t.pk, version=t.version)
    enrolment = services.transfer_accept(actor=receiver, programme="corrections", transfer_id=t.pk,
                                         version=t.version, now=at)
    assert (enrolment.grid_code, enrolment.worker_id) == (AWAY, receiver.pk)
    assert set(Contact.objects.filter(enrolment=e).values_list("grid_code", flat=True)) == {AWAY}
    t.refresh_from_db()
    assert (t.status, t.accepted_by_id) == ("accepted", receiver.pk)
    # after acceptance the sender's access ends; the receiver has the file in scope
    with pytest.raises(NotFound):
        selectors.enrolment_file(sender, "corrections", e.pk)
    assert selectors.enrolment_file(receiver, "corrections", e.pk)["access"] == "scope"
    assert selectors.worklist(sender, now=at)["transfers_pending"] == []
    kinds = [i["kind"] for i in selectors.enrolment_file(receiver, "corrections", e.pk)["timeline"]]
    assert "transfer_offered" in kinds and "transfer_accepted" in kinds
    actions = list(AuditEvent.objects.filter(object_type="care.transfer", object_id=str(t.pk))
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["CREATE", "TRANSITION"]
    with pytest.raises(Conflict):
        services.transfer_accept(actor=receiver, programme="corrections", transfer_id=t.pk, version=t.version + 1)


def test_an_overdue_transfer_raises_one_missed_alert_resolved_on_acceptance(enrol, users):
    e = enrol("youth", "迁居己")
    _move(e.person, AWAY)
    services.transfers_detect(now=MON)
    assert services.transfers_check(now=NEXT_MON) == 0  # at the deadline, not past it
    late = datetime(2026, 3, 9, 10, 1, tzinfo=SH)
    assert services.transfers_check(now=late) == 1
    assert services.transfers_check(now=late) == 0  # once
    alert = Alert.objects.get()
    assert (alert.kind, alert.grid_code, alert.status, alert.enrolment_id) == ("missed_report", AWAY, "open", e.pk)
    inc = selectors.worklist(users["social_worker_away"], now=late)
    assert inc["transfers_pending"][0]["overdue"] and inc["transfers_pending"][0]["colour"] == "red"
    assert [a["id"] for a in inc["alerts_open"]] == [alert.pk]
    t = Transfer.objects.get()
    services.transfer_accept(actor=users["social_worker_away"], programme="youth", transfer_id=t.pk,
                             version=t.version, now=late)
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.response == "transfer accepted"


def test_manual_offer_validates_and_refuses_a_second_pending(enrol, users):
    e = enrol("corrections", "手工庚")
    sw = users["social_worker"]
    with pytest.raises(FieldError) as exc:
        services.transfer_offer(actor=sw, programme="corrections", enrolment_id=e.pk, to_grid_code="3101",
                                reason="迁居")
    assert exc.value.details[0].code == "invalid"
    with pytest.raises(FieldError) as exc:
        services.transfer_offer(actor=sw, programme="corrections", enrolment_id=e.pk, to_grid_code=HOME2,
                                reason="迁居")
    assert exc.value.details[0].code == "same_community"
    with pytest.raises(FieldError):
        services.transfer_offer(actor=sw, programme="corrections", enrolment_id=e.pk, to_grid_code=AWAY, reason=" ")
    services.transfer_offer(actor=sw, programme="corrections", enrolment_id=e.pk, to_grid_code=AWAY,
                            reason="本人报告已迁居", now=MON)
    with pytest.raises(Conflict):
        services.transfer_offer(actor=sw, programme="corrections", enrolment_id=e.pk, to_grid_code=AWAY_OTHER,
                                reason="本人报告已迁居", now=MON)
    assert Transfer.objects.count() == 1
    # a worker of another district cannot offer a case that is not theirs
    with pytest.raises(NotFound):
        services.transfer_offer(actor=users["social_worker_away"], programme="corrections", enrolment_id=e.pk,
                                to_grid_code=AWAY, reason="本人报告已迁居")


def test_detection_skips_closed_sealed_and_moved_out(enrol, users):
    closed = enrol("corrections", "结案辛")
    services.enrolment_close(actor=users["social_worker"], programme="corrections", enrolment_id=closed.pk,
                             version=closed.version, status="completed", closure_type="01",
                             end_date=date(2026, 2, 1), today=date(2026, 3, 2))
    _move(closed.person, AWAY)
    sealed = enrol("youth", "封存壬", birth=date(2010, 1, 1))
    services.enrolment_seal(actor=users["social_worker"], programme="youth", enrolment_id=sealed.pk, reason="封存")
    _move(sealed.person, AWAY)
    assert services.transfers_detect(now=MON) == 0
    assert Enrolment.objects.filter(grid_code=AWAY).count() == 0


def test_transfer_over_the_api(enrol, users, client_for):
    e = enrol("corrections", "接口癸")
    sender = client_for(users["social_worker"])
    r = sender.post(f"/api/v1/care/corrections/enrolments/{e.pk}/transfer",
                    {"to_grid_code": AWAY, "reason": "本人报告已迁居徐汇"}, content_type="application/json")
    assert r.status_code == 201, r.content
    tid, version = r.json()["id"], r.json()["version"]
    receiver = client_for(users["social_worker_away"])
    r = receiver.post(f"/api/v1/care/corrections/transfers/{tid}/accept", {"version": version},
                      content_type="application/json")
    assert r.status_code == 200 and r.json()["grid_code"] == AWAY
    # a role without the programme's capability: 403 whatever the id
    r = client_for(users["police_officer"]).post(f"/api/v1/care/corrections/transfers/{tid}/accept",
                                                 {"version": 1}, content_type="application/json")
    assert r.status_code == 403
