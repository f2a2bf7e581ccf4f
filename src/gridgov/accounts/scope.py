"""The one jurisdiction filter every selector applies.

Rule (DESIGN.md): a membership at code prefix P sees rows whose code starts with P. Reads use
every active membership (capture and search scope); writes use capture memberships only.
A capability, when named, narrows the memberships to those whose role grants it; a user with no
membership granting it at all gets ``Forbidden`` (403). Rows outside the resulting prefixes are
simply absent (404 on detail).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import methodcaller
from typing import TYPE_CHECKING, Literal

from django.db.models import Q, QuerySet

from gridgov.core.errors import Forbidden

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from gridgov.accounts.models import User

Purpose = Literal["read", "write"]


def minimal_prefixes(prefixes: Iterable[str]) -> list[str]:
    """Drop prefixes covered by a shorter one: ['31', '310101', '32'] -> ['31', '32']."""
    out: list[str] = []
    for prefix in sorted(set(prefixes), key=lambda p: (len(p), p)):
        if not any(prefix.startswith(kept) for kept in out):
            out.append(prefix)
    return sorted(out)


def user_prefixes(user: User | AnonymousUser | None, capability: str | None = None, *, purpose: Purpose = "read") -> list[str]:
    """The code prefixes this user may read (or write) for ``capability``. Empty: nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    chosen = []
    for membership in user.active_memberships():
        if purpose == "write" and membership.scope != "capture":
            continue
        if capability is not None and not membership.role.has(capability):
            continue
        chosen.append(membership.jurisdiction)
    return minimal_prefixes(chosen)


def has_capability(user: User | AnonymousUser | None, capability: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return any(m.role.has(capability) for m in user.active_memberships())


def require_capability(user: User | AnonymousUser | None, capability: str) -> None:
    if not has_capability(user, capability):
        raise Forbidden("missing capability %(capability)s", code="missing_capability", params={"capability": capability})


def scope_q(prefixes: Iterable[str], field: str) -> Q:
    prefixes = list(prefixes)
    if not prefixes:
        return Q(pk__in=[])
    q = Q()
    for prefix in prefixes:
        q |= Q(**{f"{field}__startswith": prefix})
    return q


def scoped(queryset: QuerySet, user: User | AnonymousUser | None, *, field: str, capability: str | None = None,
           purpose: Purpose = "read") -> QuerySet:
    """Filter ``queryset`` to the rows ``user`` may see. Raises Forbidden without the capability."""
    if capability is not None:
        require_capability(user, capability)
    return queryset.filter(scope_q(user_prefixes(user, capability, purpose=purpose), field))


def prefix_matcher(user: User | AnonymousUser | None, capability: str | None = None, *, purpose: Purpose = "read") -> Callable[[str], bool]:
    """``code -> bool``: whether a row with ``code`` is in ``user``'s scope for ``capability`` and
    ``purpose``. The memberships are read once, so a loop over many rows (an import) calls only
    ``code.startswith(prefixes)``. No membership: every code is outside."""
    return methodcaller("startswith", tuple(user_prefixes(user, capability, purpose=purpose)))


def code_in_scope(user: User | AnonymousUser | None, code: str, *, capability: str | None = None, purpose: Purpose = "read") -> bool:
    return prefix_matcher(user, capability, purpose=purpose)(code)
