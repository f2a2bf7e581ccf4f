"""The audit writer. Services call ``audit_write`` inside their transaction: if it fails, they fail."""

from __future__ import annotations

import json
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from gridgov.core import auditchain, context, db_adapter
from gridgov.core.masking import mask_text, mask_value
from gridgov.core.models import AuditAction, AuditEvent, AuditOutcome

DB = DEFAULT_DB_ALIAS
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
    """Write one audit row (inside the caller's transaction). Arguments as ``audit_event``.

    The row joins the hash chain (core/auditchain.py): under the chain lock (held to the end of the
    transaction; ``db_adapter.audit_chain_head``) the newest row's hash is read and this row's
    hash computed over its content and that one."""
    event = audit_event(action, **kwargs)
    event.changes = json.loads(json.dumps(event.changes))  # as the database will give it back
    with transaction.atomic(using=DB, savepoint=False):
        event.prev_hash = db_adapter.audit_chain_head(connections[DB]) or auditchain.GENESIS
        event.row_hash = auditchain.row_hash(event.prev_hash, {f: getattr(event, f) for f in auditchain.FIELDS})
        event.save(force_insert=True, using=DB)
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
