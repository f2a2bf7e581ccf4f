"""The demo has a proposed patrol plan for next week (with reasons) and staffing numbers for every
street of the demo city, one street marked as an outlier."""

from __future__ import annotations

import pytest
from django.db import transaction


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from gridgov.demo.loaders import load_all

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            load_all(scale="tiny", seed=1, force=True)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.mark.django_db
def test_demo_plan_and_staffing(demo):
    from gridgov.accounts.models import User
    from gridgov.geo.models import Division, Grid
    from gridgov.prevention import plan_services, staffing_selectors
    from gridgov.prevention.models import PatrolPlan, StationStaffing

    plan = PatrolPlan.objects.get()
    assert plan.status == "proposed" and plan.week_start == plan_services.next_week()
    grids = Grid.objects.filter(code__startswith=plan.area_code).count()
    assert plan.lines.count() == grids
    assert sum(plan.lines.values_list("units", flat=True)) == pytest.approx(plan.units_total, abs=1e-6)
    assert plan.units_total == max(4, round(grids * 0.25))
    assert all(line.reasons for line in plan.lines.all())
    # the safety demo's incidents make a difference between grids
    risks = sorted(plan.lines.values_list("risk", flat=True))
    assert risks[-1] > 1.5 * risks[0]

    streets = Division.objects.filter(level=9).count()
    assert StationStaffing.objects.count() == streets >= 4
    district = User.objects.get(username="district")
    district._gridgov_memberships = None
    review = staffing_selectors.staffing_review(district)
    assert len(review["rows"]) == streets
    assert sum(r["outliers"] for r in review["rows"]) >= 1


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["police", "district"])
def test_plan_and_staffing_pages_are_in_chinese(demo, username):
    """The zh-hans sweep's detector (tests/test_zh_sweep.py) on the plan (with its reasons) and the
    staffing review, as the roles that use them see them."""
    from django.test import Client

    from gridgov.accounts.models import User
    from gridgov.prevention.models import PatrolPlan
    from tests.test_zh_sweep import english_words, visible

    client = Client()
    client.force_login(User.objects.get(username=username))
    week = PatrolPlan.objects.get().week_start.isoformat()
    for path in (f"/prevention/plan/?week={week}", "/prevention/staffing/", "/prevention/plan/?week=2020-01-06"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        text, _links = visible(resp.content.decode())
        assert english_words(text) == [], path
