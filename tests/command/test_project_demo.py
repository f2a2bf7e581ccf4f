"""The demo's projects: 30+ in every status, each street of the demo district with an overdue
project (a supervision card), milestones and notes; the same seed gives the same projects."""

from __future__ import annotations

from collections import Counter

from gridgov.command.models import Milestone, ProgressNote, Project


def _load(seed: int = 1):
    from gridgov.demo import projects

    projects.load(scale="tiny", seed=seed)
    return list(Project.objects.order_by("id").values_list("title", "area_code", "status", "deadline"))


def test_demo_projects(db, roles, media):
    from gridgov.command import project_selectors
    from gridgov.demo import geo as geo_demo
    from gridgov.demo.projects import reset
    from gridgov.geo.models import Division

    geo_demo.load_demo_city(scale="tiny", seed=1)
    first = _load()
    assert len(first) >= 30
    assert set(Counter(s for _t, _a, s, _d in first)) == {"planned", "in_progress", "done", "suspended", "cancelled"}
    assert Milestone.objects.count() >= 2 * len(first) and ProgressNote.objects.exists()
    district = Project.objects.first().created_by
    streets = Division.objects.filter(level=9, prefix__startswith="310101").values_list("prefix", flat=True)
    assert streets
    for street in streets:
        kinds = [c["kind"] for c in project_selectors.project_actions(district, street)]
        assert "project_overdue" in kinds, street
    reset()
    assert _load() == first  # deterministic by seed
