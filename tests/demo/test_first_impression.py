"""A freshly loaded tiny demo looks like a working centre: cases waiting in the worklists of the
street, community and grid users, realistic descriptions, a handful of recent overdue care
contacts, chengguan in the city-management department."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

# Per category: a word every description of it must contain (written here, not read from the loader).
KEYWORDS = {"C0111": "路灯", "C0302": "垃圾箱", "E0102": "垃圾", "E0201": "广告", "E0301": ("施工", "工地"),
            "E0505": "车", "E0501": ("摊", "经营"), "C0101": "井盖", "E0402": "水"}


def _capture(username: str) -> list[str]:
    from gridgov.accounts.models import User

    user = User.objects.get(username=username)
    return [m.jurisdiction for m in user.active_memberships() if m.scope == "capture"]


def _in(prefixes: list[str]) -> Q:
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(grid_code__startswith=p)
    return q


@pytest.mark.django_db
def test_street_community_and_grid_have_cases_waiting(demo):
    """Counted with plain queries over the rows (states of the closed loop), not the worklist code."""
    from gridgov.accounts.models import User
    from gridgov.cases.models import Case
    from gridgov.cases.selectors import worklist_counts

    street, community, grid = _capture("street"), _capture("community"), _capture("grid")
    assert len(street[0]) == 9 and len(community[0]) == 12 and len(grid[0]) == 15
    assert grid[0].startswith(community[0]) and community[0].startswith(street[0])

    def count(prefixes, *states, **extra):
        return Case.objects.filter(_in(prefixes), state__in=states, **extra).count()

    queue = count(street, "reported", "accepted", "registered")
    assert 6 <= queue <= 40  # to accept, register and dispatch
    assert 3 <= count(community, "handled") <= 20  # to verify
    assert 1 <= count(community, "verified") <= 15  # to close
    assert 2 <= count(grid, "handled") <= 10
    assert 1 <= count(grid, "verified") <= 10
    grid_user = User.objects.get(username="grid")
    mine_open = Case.objects.filter(reporter=grid_user).exclude(
        state__in=["closed", "evaluated", "rejected"]).count()
    assert 5 <= mine_open <= 30  # reported by the grid worker, still running
    # what the landing pages show agrees with the rows
    assert worklist_counts(User.objects.get(username="street"))["queue"] == queue
    counts = worklist_counts(User.objects.get(username="community"))
    assert counts["verify"] == count(community, "handled") and counts["close"] == count(community, "verified")
    counts = worklist_counts(grid_user)
    assert counts["verify"] == count(grid, "handled") and counts["mine"] >= mine_open
    # the waiting cases are recent: reported within the last fortnight
    fortnight = timezone.now() - timedelta(days=14)
    assert Case.objects.filter(_in(grid), state__in=["reported", "handled"], reported_at__gte=fortnight).count() >= 4


@pytest.mark.django_db
def test_descriptions_are_realistic_per_category(demo):
    from gridgov.cases.models import Case

    rows = list(Case.objects.values_list("category__code", "category__name", "description", "address"))
    assert len(rows) >= 400
    assert not [d for _, _, d, _ in rows if "演示" in d or not d.strip()]
    assert len({d for _, _, d, _ in rows}) >= 150  # varied, not one line per category
    assert all(re.fullmatch(r"\w+[路街]\d{1,3}号", a) for _, _, _, a in rows)
    seen = set()
    for code, _name, description, _ in rows:
        words = KEYWORDS.get(code)
        if words is None:
            continue
        seen.add(code)
        words = (words,) if isinstance(words, str) else words
        assert any(w in description for w in words), (code, description)
    assert len(seen) >= 5
    # a "其他" leaf says what it is about, not "其他"
    others = [d for _, name, d, _ in rows if name == "其他"]
    assert others and not [d for d in others if d.startswith("其他")]


@pytest.mark.django_db
def test_a_plausible_handful_of_recent_overdue_contacts(demo):
    from gridgov.care.models import Contact

    today = timezone.localdate()
    overdue = list(Contact.objects.filter(status="overdue").values_list("due_date", "enrolment_id"))
    assert 2 <= len(overdue) <= 8
    assert all(today - timedelta(days=35) <= due < today for due, _ in overdue)
    assert all(due.year >= today.year - (1 if today.month == 1 else 0) for due, _ in overdue)
    assert len({e for _, e in overdue}) == len(overdue)  # spread over cases, not one neglected person
    # the rest of the past is done or skipped with a reason
    past = Contact.objects.filter(due_date__lt=today).exclude(status="overdue")
    assert not past.filter(status="scheduled", enrolment__status="active").exists()
    assert not past.filter(status="skipped", skip_reason="").exists()


@pytest.mark.django_db
def test_chengguan_is_in_the_city_management_department(demo):
    from gridgov.accounts.models import User
    from gridgov.cases.models import CaseTask, DepartmentMember
    from gridgov.cases.selectors import worklist_counts

    chengguan = User.objects.get(username="chengguan")
    deps = list(DepartmentMember.objects.filter(user=chengguan).values_list("department__code", "department__kind"))
    assert deps == [("310101-city_management", "city_management")]
    waiting = CaseTask.objects.filter(department__code="310101-city_management", status="open",
                                      case__state__in=["dispatched", "handling"]).values("case_id").distinct().count()
    assert waiting >= 2
    assert worklist_counts(chengguan)["department"] == waiting
