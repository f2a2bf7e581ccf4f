"""The demo's responsible officials and supervisory actions: every street and district covered,
deterministic by seed."""

import pytest


@pytest.fixture
def city(db, roles):
    from gridgov.demo.geo import load_demo_city

    return load_demo_city(scale="tiny", seed=1)


def _snapshot():
    from gridgov.command.models import ResponsibleOfficial, SupervisoryAction

    return (list(ResponsibleOfficial.objects.order_by("area_code", "post").values_list("area_code", "post", "person_name")),
            list(SupervisoryAction.objects.order_by("area_code", "kind").values_list("area_code", "kind", "status")))


def test_every_area_has_its_officials_and_some_actions(city):
    from gridgov.command.models import ResponsibleOfficial, SupervisoryAction
    from gridgov.demo import command_responsibility
    from gridgov.geo.models import Division

    command_responsibility.load(scale="tiny", seed=1)
    streets = set(Division.objects.filter(level=9).values_list("prefix", flat=True))
    districts = set(Division.objects.filter(level=6).values_list("prefix", flat=True))
    assert streets and districts
    for code in streets:
        posts = set(ResponsibleOfficial.objects.filter(area_code=code).values_list("post", flat=True))
        assert posts == {"police_head", "deputy_secretary"}, code
    for code in districts:
        assert ResponsibleOfficial.objects.filter(area_code=code, post="district_secretary").count() == 1
    actions = SupervisoryAction.objects.all()
    assert actions.count() >= 3
    assert {a.status for a in actions} == {"open", "closed"}
    assert all(a.events.count() >= 2 for a in actions)
    first = _snapshot()
    command_responsibility.reset()
    assert ResponsibleOfficial.objects.count() == 0
    command_responsibility.load(scale="tiny", seed=1)
    assert _snapshot() == first
