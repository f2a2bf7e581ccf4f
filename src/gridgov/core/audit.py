"""The audit writer. Services call ``audit_write`` inside their transaction: if it fails, they fail."""

from __future__ import annotations

from typing import Any

from gridgov.core import context
from gridgov.core.masking import mask_text, mask_value
from gridgov.core.models import AuditAction, AuditEvent, AuditOutcome

_SECRET_WORDS = ("password", "passwd", "token", "secret", "api_key", "apikey", "session")


def _scrub(value: Any) -> Any:
    """Drop secrets by key and mask identity/phone numbers anywhere in the structure."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if any(word in str(key).lower() for word in _SECRET_WORDS):
                out[key] = "[redacted]"
            else:
                out[key] = _scrub(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return mask_value(value)
    return mask_text(str(value))


def audit_write(action: str | AuditAction, **kwargs) -> AuditEvent:
    """Write one audit row (inside the caller's transaction). Arguments as ``audit_event``."""
    event = audit_event(action, **kwargs)
    event.save(force_insert=True)
    return event


def audit_event(
    action: str | AuditAction,
    *,
    actor=None,
    actor_username: str = "",
    object_type: str = "",
    object_id: Any = "",
    outcome: str | AuditOutcome = AuditOutcome.SUCCESS,
    reason: str = "",
    changes: dict[str, Any] | None = None,
    jurisdiction: str = "",
    role: str = "",
) -> AuditEvent:
    """The audit row ``audit_write`` writes, not saved yet."""
    ctx = context.current()
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id = actor.pk
        actor_username = actor.get_username()
        if not role or not jurisdiction:
            primary = getattr(actor, "primary_membership", None)
            membership = primary() if callable(primary) else None
            if membership is not None:
                role = role or membership.role.code
                jurisdiction = jurisdiction or membership.jurisdiction
    else:
        actor_id = None
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEvent(
        actor_id=actor_id,
        actor_username=mask_text(actor_username)[:150],
        role=role[:64],
        jurisdiction=jurisdiction[:15],
        action=action,
        object_type=object_type[:64],
        object_id=mask_text(str(object_id))[:64],
        outcome=outcome,
        reason=mask_text(reason),
        changes=_scrub(changes or {}),
        request_id=ctx.request_id,
        ip=ctx.ip,
        channel=ctx.channel,
    )
