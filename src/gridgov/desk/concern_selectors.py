"""Public-concern response: every read (scoped by the item's area; docs/services.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.scope import has_capability, scoped
from gridgov.cases import workcal
from gridgov.core.errors import Forbidden, NotFound
from gridgov.desk.models import PublicConcern

CAPABILITY = "desk.concern"
READ_CAPABILITIES = (CAPABILITY, "command.view")


def _read_capability(user: User) -> str:
    for capability in READ_CAPABILITIES:
        if has_capability(user, capability):
            return capability
    raise Forbidden("missing capability %(capability)s", code="missing_capability", params={"capability": CAPABILITY})


def concerns_visible(user: User) -> QuerySet[PublicConcern]:
    """The items of the user's area: the spokesperson's centre (desk.concern) and the command
    centres above it (command.view) read them."""
    capability = _read_capability(user)
    return scoped(PublicConcern.objects.select_related("spokesperson"), user, field="area_code", capability=capability)


def concern_get(user: User, concern_id: int) -> PublicConcern:
    concern = concerns_visible(user).filter(pk=concern_id).first()
    if concern is None:
        raise NotFound("public concern %(id)s not found", params={"id": concern_id})
    return concern


@dataclass(frozen=True)
class Clock:
    due_at: datetime | None
    percent: float
    colour: str  # green | yellow | red | "" (closed: no clock)


def clock(concern: PublicConcern, *, now: datetime | None = None) -> Clock:
    """How much of the time to the next statement has gone (clock hours)."""
    if concern.due_at is None:
        return Clock(None, 0.0, "")
    now = now or timezone.now()
    total = (concern.due_at - concern.clock_started_at).total_seconds()
    fraction = (now - concern.clock_started_at).total_seconds() / total if total > 0 else 1.0
    return Clock(concern.due_at, round(fraction * 100, 1), workcal.colour(fraction))


def concern_rows(user: User, *, status: str | None = None, now: datetime | None = None) -> list[dict]:
    qs = concerns_visible(user)
    if status == "escalated":
        qs = qs.filter(escalated_at__isnull=False, status__in=["open", "responding"])
    elif status in PublicConcern.Status.values:
        qs = qs.filter(status=status)
    now = now or timezone.now()
    return [{"concern": c, "clock": clock(c, now=now)} for c in qs[:500]]


def concern_counts(user: User) -> dict[str, int]:
    qs = concerns_visible(user)
    return {"open": qs.exclude(status="closed").count(),
            "escalated": qs.filter(escalated_at__isnull=False).exclude(status="closed").count(),
            "closed": qs.filter(status="closed").count()}


def spokespersons_for(user: User) -> list[User]:
    """Staff who may answer public concerns in the user's capture scope, above or below it (the
    form's choices)."""
    from gridgov.accounts.models import Membership
    from gridgov.accounts.scope import scope_q, user_prefixes
    from gridgov.core.codes import PREFIX_LENGTHS

    prefixes = user_prefixes(user, CAPABILITY, purpose="write")
    if not prefixes:
        return []
    ancestors = {p[:n] for p in prefixes for n in PREFIX_LENGTHS if n <= len(p)}
    memberships = (Membership.objects.select_related("user", "role")
                   .filter(scope_q(prefixes, "jurisdiction") | Q(jurisdiction__in=ancestors),
                           active=True, user__is_active=True))
    users = {m.user_id: m.user for m in memberships if m.role.has(CAPABILITY)}
    return sorted(users.values(), key=lambda u: u.username)
