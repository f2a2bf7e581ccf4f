"""Scoping property test: random division trees and memberships — a user never receives a row
outside the prefixes of their memberships, and always receives every row inside them."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.accounts import scope, services
from gridgov.accounts.models import Membership, User
from gridgov.core.errors import Forbidden
from gridgov.core.models import AuditEvent

# A random division tree below Shanghai: districts -> townships -> communities -> grids.
district = st.sampled_from(["310101", "310104", "310105", "310115"])
township = st.integers(1, 4).map(lambda i: f"{i:03d}")
community = st.integers(1, 4).map(lambda i: f"{i:03d}")
gridseq = st.integers(1, 3).map(lambda i: f"{i:03d}")
grid_codes = st.tuples(district, township, community, gridseq).map("".join)


@st.composite
def prefix_of(draw, codes):
    code = draw(st.sampled_from(codes))
    return code[: draw(st.sampled_from([2, 6, 9, 12, 15]))]


@st.composite
def world(draw):
    codes = draw(st.lists(grid_codes, min_size=1, max_size=30, unique=True))
    memberships = draw(st.lists(st.tuples(prefix_of(codes), st.sampled_from(["capture", "search"]),
                                          st.sampled_from(["auditor", "grid_worker"])),
                                min_size=0, max_size=4))
    return codes, memberships


def user_with(memberships) -> User:
    """The only user, holding ``memberships`` = [(prefix, scope, role code)] (a fresh one per example)."""
    Membership.objects.all().delete()
    User.objects.all().delete()
    user = User.objects.create(username="u")
    for prefix, scope_kind, role in memberships:
        services.membership_grant(user=user, role_code=role, jurisdiction=prefix, scope=scope_kind)
    user._gridgov_memberships = None
    return user


def test_minimal_prefixes():
    assert scope.minimal_prefixes(["310101", "31", "32", "320101001"]) == ["31", "32"]
    assert scope.minimal_prefixes([]) == []


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(w=world())
def test_user_never_sees_rows_outside_their_prefixes(roles, w):
    codes, memberships = w
    user = user_with(memberships)
    # Only the rows of this world (granting memberships writes audit rows of its own).
    ids = [AuditEvent.objects.create(action="READ", jurisdiction=code).pk for code in codes]
    rows = AuditEvent.objects.filter(pk__in=ids)

    audit_prefixes = [p for p, _, r in memberships if r == "auditor"]
    if not audit_prefixes:
        with pytest.raises(Forbidden):
            scope.scoped(rows, user, field="jurisdiction", capability="audit.view")
    else:
        seen = set(scope.scoped(rows, user, field="jurisdiction",
                                capability="audit.view").values_list("jurisdiction", flat=True))
        expected = {c for c in codes if any(c.startswith(p) for p in audit_prefixes)}
        assert seen == expected

    # Without a capability filter: every membership counts for reading, capture only for writing.
    read = set(scope.scoped(rows, user, field="jurisdiction")
               .values_list("jurisdiction", flat=True))
    assert read == {c for c in codes if any(c.startswith(p) for p, _, _ in memberships)}
    write = set(scope.scoped(rows, user, field="jurisdiction", purpose="write")
                .values_list("jurisdiction", flat=True))
    assert write == {c for c in codes if any(c.startswith(p) for p, s, _ in memberships if s == "capture")}

    # The per-code tests (services, the importer's loop) agree with the query filter, read and write,
    # with and without a capability; the example's own rule is computed here, not by scope.py.
    for capability, roles_with in ((None, {"auditor", "grid_worker"}), ("audit.view", {"auditor"}),
                                   ("registry.edit", {"grid_worker"})):
        for purpose, kinds in (("read", {"capture", "search"}), ("write", {"capture"})):
            match = scope.prefix_matcher(user, capability, purpose=purpose)
            for c in codes:
                expected = any(c.startswith(p) for p, s, r in memberships if s in kinds and r in roles_with)
                assert match(c) is expected
                assert scope.code_in_scope(user, c, capability=capability, purpose=purpose) is expected


@pytest.mark.django_db
def test_inactive_user_and_anonymous_see_nothing(make_user):
    from django.contrib.auth.models import AnonymousUser

    AuditEvent.objects.create(action="READ", jurisdiction="310101001001001")
    user = make_user("x", ("grid_worker", "31"))
    assert scope.scoped(AuditEvent.objects.all(), user, field="jurisdiction").count() >= 1
    user.is_active = False
    assert scope.scoped(AuditEvent.objects.all(), user, field="jurisdiction").count() == 0
    assert scope.scoped(AuditEvent.objects.all(), AnonymousUser(), field="jurisdiction").count() == 0


@pytest.mark.django_db
def test_membership_grant_validates_jurisdiction(make_user):
    from gridgov.core.errors import FieldError

    user = make_user("y")
    with pytest.raises(FieldError) as exc:
        services.membership_grant(user=user, role_code="grid_worker", jurisdiction="3101x1")
    assert exc.value.field == "jurisdiction"
    with pytest.raises(FieldError) as exc:
        services.membership_grant(user=user, role_code="no_such_role", jurisdiction="310101")
    assert exc.value.field == "role"


@pytest.mark.django_db
def test_granting_outside_own_capture_scope_is_forbidden(make_user):
    admin = make_user("admin1", ("city_admin", "310101"))
    target = make_user("z")
    with pytest.raises(Forbidden):
        services.membership_grant(user=target, role_code="grid_worker", jurisdiction="310104", actor=admin)
    services.membership_grant(user=target, role_code="grid_worker", jurisdiction="310101001", actor=admin)
