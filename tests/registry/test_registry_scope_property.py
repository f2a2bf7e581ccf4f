"""Scoping of the register as a property: random placements of persons, houses and organisations and
random memberships — every read path returns exactly the rows under the user's registry.view
prefixes, a detail outside them is 404, and a write outside the capture prefixes is 404 too."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.core.errors import Forbidden, NotFound
from gridgov.registry import selectors
from gridgov.registry.models import House, Organisation, Person
from tests.accounts.test_scope import grid_codes, prefix_of, user_with

ROLES = ["grid_worker", "street_centre", "department_handler", "police_officer", "auditor"]


@st.composite
def world(draw):
    codes = draw(st.lists(grid_codes, min_size=1, max_size=12, unique=True))
    placements = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=20))
    memberships = draw(st.lists(st.tuples(prefix_of(codes), st.sampled_from(["capture", "search"]),
                                          st.sampled_from(ROLES)), max_size=3))
    return placements, memberships


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(w=world())
def test_register_reads_are_exactly_the_jurisdiction(roles, w):
    from gridgov.accounts.capabilities import role_definition

    placements, memberships = w
    for model in (Organisation, Person, House):
        model.objects.all()._raw_delete(model.objects.db)
    user = user_with(memberships)
    people, houses, orgs = {}, {}, {}
    for i, code in enumerate(placements):
        h = House.objects.create(house_code=f"H{i}", address=f"路{i}号", grid_code=code)
        p = Person.objects.create(doc_type="414", doc_number=f"E{i:08d}", name="某", population_type="03",
                                  nationality="US", grid_code=code, house=h)
        o = Organisation.objects.create(name=f"组织{i}", category="100", grid_code=code)
        people[p.pk], houses[h.pk], orgs[o.pk] = code, code, code

    def under(code, wanted=None):
        return any(code.startswith(prefix) for prefix, scope_kind, role in memberships
                   if "registry.view" in role_definition(role).capabilities
                   and (wanted is None or scope_kind == wanted))

    viewers = [m for m in memberships if "registry.view" in role_definition(m[2]).capabilities]
    if not viewers:
        with pytest.raises(Forbidden):
            list(selectors.person_search(user))
        return
    assert set(selectors.person_search(user).values_list("pk", flat=True)) == {
        pk for pk, code in people.items() if under(code)}
    assert set(selectors.house_search(user).values_list("pk", flat=True)) == {
        pk for pk, code in houses.items() if under(code)}
    assert set(selectors.organisation_search(user).values_list("pk", flat=True)) == {
        pk for pk, code in orgs.items() if under(code)}
    for getter, rows in ((selectors.person_get, people), (selectors.house_get, houses),
                         (selectors.organisation_get, orgs)):
        for pk, code in rows.items():
            if under(code):
                assert getter(user, pk).pk == pk
            else:
                with pytest.raises(NotFound):
                    getter(user, pk)
    editors = [m for m in memberships if "registry.edit" in role_definition(m[2]).capabilities
               and m[1] == "capture"]
    for pk, code in people.items():
        can_write = any(code.startswith(prefix) for prefix, _, _ in editors)
        if not any("registry.edit" in role_definition(r).capabilities for _, _, r in memberships):
            with pytest.raises(Forbidden):
                selectors.person_get(user, pk, capability="registry.edit", purpose="write")
        elif can_write:
            assert selectors.person_get(user, pk, capability="registry.edit", purpose="write").pk == pk
        else:
            with pytest.raises((NotFound, Forbidden)):
                selectors.person_get(user, pk, capability="registry.edit", purpose="write")
