"""Every read about users, memberships and the audit trail. First argument: the acting user."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from gridgov.accounts.models import ApiToken, Membership, Role, User
from gridgov.accounts.scope import scoped, user_prefixes
from gridgov.core.models import AuditEvent


def audit_list(actor: User, *, action: str | None = None, actor_username: str | None = None,
               since: datetime | None = None, until: datetime | None = None, object_type: str | None = None,
               object_id: str | None = None, outcome: str | None = None) -> QuerySet[AuditEvent]:
    """Audit events in the actor's jurisdiction; needs ``audit.view`` (auditors).

    Events without a jurisdiction (failed logins of unknown users, system events) are visible to
    auditors at the top of a province only, i.e. whose prefix is 2 digits. ``since`` is inclusive,
    ``until`` exclusive; ``actor_username`` is matched without regard to case, the others exactly.
    """
    qs = scoped(AuditEvent.objects.all(), actor, field="jurisdiction", capability="audit.view")
    if any(len(p) <= 2 for p in user_prefixes(actor, "audit.view")):
        qs = qs | AuditEvent.objects.filter(jurisdiction="")
    if action:
        qs = qs.filter(action=action)
    if actor_username:
        qs = qs.filter(actor_username__iexact=actor_username)
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("-at", "-id")


def audit_people(actor_ids: set[int]) -> dict[int, str]:
    """Display names of the staff who acted in some audit rows (users are staff: no resident data)."""
    return {pk: name or username for pk, username, name in
            User.objects.filter(pk__in=actor_ids).values_list("pk", "username", "display_name")}


def role_names() -> dict[str, tuple[str, str]]:
    """Role code -> (Chinese name, English name)."""
    return {code: (name, name_en) for code, name, name_en in Role.objects.values_list("code", "name", "name_en")}


def token_list(actor: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=actor).order_by("-created_at")


def members_at(jurisdictions: list[str], *, role_code: str) -> dict[str, list[str]]:
    """Display names of active users holding ``role_code`` exactly at each jurisdiction (e.g. the
    grid workers of a grid). Staff names only: no resident data."""
    out: dict[str, list[str]] = {j: [] for j in jurisdictions}
    rows = (Membership.objects.filter(jurisdiction__in=jurisdictions, role__code=role_code, active=True,
                                      user__is_active=True)
            .select_related("user").order_by("user__username"))
    for m in rows:
        out[m.jurisdiction].append(m.user.display_name or m.user.username)
    return out


def user_active(user_id: int) -> User | None:
    """An active user by id (to name a responsible worker); None when absent or deactivated."""
    return User.objects.filter(pk=user_id, is_active=True).first()
