"""Auditing refused access to sensitive records (a reveal refused, a care file outside the
jurisdiction): one audit row with outcome ``denied``, rate-limited so that a scan cannot flood the
audit table: at most one row per actor, action and object type in
``settings.GRIDGOV_AUDIT_DENIED_WINDOW_SECONDS`` (60 by default; 0: every refusal). The row names
the first object of the window; the later refusals of the window are not written (concurrent
requests may each write one: "at most" holds per process, not across processes).

The caller writes the row outside the transaction the refusal rolls back (else it would vanish
with it) and then lets the refusal (403/404) propagate unchanged: the answer says no more than
before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from gridgov.core.audit import audit_write
from gridgov.core.errors import Forbidden
from gridgov.core.models import AuditEvent, AuditOutcome


def audit_denied(*, actor, action: str, object_type: str, object_id: Any, exc: Exception | None = None) -> bool:
    """Write the ``denied`` row unless one for (actor, action, object type) is in the window.
    Returns whether a row was written. ``exc``: the refusal (its kind is the row's reason)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    window = settings.GRIDGOV_AUDIT_DENIED_WINDOW_SECONDS
    if window > 0 and AuditEvent.objects.filter(
            actor_id=actor.pk, action=action, object_type=object_type, outcome=AuditOutcome.DENIED,
            at__gte=timezone.now() - timedelta(seconds=window)).exists():
        return False
    reason = "missing capability" if isinstance(exc, Forbidden) else "not found or outside the jurisdiction"
    audit_write(action, actor=actor, object_type=object_type, object_id=object_id, outcome=AuditOutcome.DENIED,
                reason=reason)
    return True
