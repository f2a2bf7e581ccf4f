"""The demo loader: a year of cases over the loaded grids, every stage represented, resettable."""

from __future__ import annotations

from gridgov.cases.models import Case, CaseEvent, CaseTask, Department, DepartmentMember


def test_tiny_demo_year(city, make_user):
    from gridgov.demo import cases as demo

    result = demo.load(scale="tiny", seed=1)
    assert result == {}
    n = Case.objects.count()
    assert 400 + 15 <= n <= 400 + 30  # a year of 400, plus the cases waiting in the demo users' worklists
    states = set(Case.objects.values_list("state", flat=True))
    assert {"evaluated", "closed", "rejected"} <= states and states & {"reported", "dispatched", "handling"}
    assert Case.objects.filter(overdue=True).exists() and Case.objects.filter(rework_count__gt=0).exists()
    assert all(len(c) == 15 for c in Case.objects.values_list("grid_code", flat=True))
    assert CaseEvent.objects.filter(action="report").count() == n
    # satisfaction only from citizens (hotline, Open311): never on a staff report without a caller
    evaluated = Case.objects.filter(satisfaction__isnull=False)
    assert evaluated.exists() and not evaluated.exclude(channel__in=["hotline", "open311"]).exists()
    # an open case past its stage deadline sits at the district, with its next escalation step set
    escalated = Case.objects.filter(stage_escalated=True)
    assert escalated.exists()
    assert all(len(c.supervising_prefix) == 6 and c.escalation_level == 1 and c.next_escalation_at is not None
               for c in escalated)
    # weekday pattern: more reports on Mondays than on Sundays
    mondays = sum(1 for d in Case.objects.values_list("reported_at", flat=True) if d.weekday() == 0)
    sundays = sum(1 for d in Case.objects.values_list("reported_at", flat=True) if d.weekday() == 6)
    assert mondays > sundays
    dept = make_user("dept", ("department_handler", "310101"))
    linked = demo.attach_demo_users()
    assert linked["dept"] and DepartmentMember.objects.filter(user=dept).count() == 2
    demo.reset()
    assert not Case.objects.exists() and not CaseTask.objects.exists() and not Department.objects.exists()
