"""The inspection loop: the transition table, exhaustively, and the service's version check."""

import datetime as dt
import itertools

import pytest

from gridgov.prevention import venueflow

EXPECTED = {
    ("rectifying", "report"): "submitted",
    ("overdue", "report"): "submitted",
    ("submitted", "accept"): "closed",
    ("submitted", "reject"): "rectifying",
    ("rectifying", "expire"): "overdue",
}


@pytest.mark.parametrize("state,action", list(itertools.product(venueflow.STATES, venueflow.ACTIONS)))
def test_every_pair(state, action):
    assert venueflow.next_state(state, action) == EXPECTED.get((state, action))


@pytest.mark.django_db
def test_inspection_loop_through_services(grids, make_user):
    from gridgov.core.errors import Conflict, NotFound, ValidationFailed
    from gridgov.core.models import AuditEvent
    from gridgov.prevention import services
    from gridgov.prevention.models import Venue

    (g1, *_), _, _ = grids
    police = make_user("pol", ("police_officer", g1[:9]))
    worker = make_user("gw", ("grid_worker", g1))
    venue = Venue.objects.create(code="V1", name="平安宾馆", type="hotel", grid_code=g1)
    today = dt.date.today()
    with pytest.raises(ValidationFailed) as exc:
        services.inspection_record(actor=police, venue_id=venue.pk, inspected_on=today,
                                   deadline=today - dt.timedelta(days=1))
    assert sorted(d.code for d in exc.value.details) == ["order", "required"]
    from gridgov.core.errors import Forbidden
    with pytest.raises(Forbidden):
        services.inspection_record(actor=worker, venue_id=venue.pk, inspected_on=today)
    ins = services.inspection_record(actor=police, venue_id=venue.pk, inspected_on=today, findings="住宿登记不全",
                                     deadline=today + dt.timedelta(days=7))
    assert ins.state == "rectifying"
    ins = services.inspection_transition(actor=police, inspection_id=ins.pk, action="report", version=1)
    assert (ins.state, ins.version) == ("submitted", 2)
    with pytest.raises(Conflict):
        services.inspection_transition(actor=police, inspection_id=ins.pk, action="accept", version=1)
    with pytest.raises(Conflict):
        services.inspection_transition(actor=police, inspection_id=ins.pk, action="expire", version=2)
    ins = services.inspection_transition(actor=police, inspection_id=ins.pk, action="accept", version=2)
    assert ins.state == "closed"
    assert list(AuditEvent.objects.filter(object_type="inspection").values_list("action", flat=True)
                .order_by("id")) == ["CREATE", "TRANSITION", "TRANSITION"]
    outsider = make_user("pol_out", ("police_officer", "320101"))
    with pytest.raises(NotFound):
        services.inspection_transition(actor=outsider, inspection_id=ins.pk, action="report", version=3)


@pytest.mark.django_db
def test_the_daily_sweep_marks_overdue(grids):
    from gridgov.prevention import services
    from gridgov.prevention.models import Inspection, Venue

    (g1, *_), _, _ = grids
    venue = Venue.objects.create(code="V1", name="网吧", type="internet_cafe", grid_code=g1)
    today = dt.date(2026, 11, 20)
    late = Inspection.objects.create(venue=venue, grid_code=g1, inspected_on=today - dt.timedelta(days=20),
                                     state="rectifying", deadline=today - dt.timedelta(days=1), findings="x")
    due_today = Inspection.objects.create(venue=venue, grid_code=g1, inspected_on=today - dt.timedelta(days=3),
                                          state="rectifying", deadline=today, findings="y")
    assert services.inspections_expire(today=today) == 1
    late.refresh_from_db()
    due_today.refresh_from_db()
    assert (late.state, due_today.state) == ("overdue", "rectifying")
