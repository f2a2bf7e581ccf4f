"""The audit trail as a person reads it: rows for the audit page and its CSV export.

The export is itself audited (action EXPORT, the filters and the row count in ``changes``), in the
same transaction as the read: if the audit row cannot be written, no file is returned. The rows hold
only what the audit table holds (identity and phone numbers were masked when written).
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterable

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gridgov.accounts import selectors
from gridgov.accounts.labels import (
    action_label,
    jurisdiction_names,
    object_id_label,
    object_type_label,
    outcome_label,
    reason_label,
)
from gridgov.accounts.models import User
from gridgov.core.audit import audit_write
from gridgov.core.models import AuditAction, AuditEvent
from gridgov.core.spreadsheet import csv_writer

#: At most this many rows in one export (the newest first); the audit row says when it was cut.
MAX_ROWS = 50_000


def present(events: Iterable[AuditEvent]) -> list[dict]:
    """Display rows: local time, the actor's display name, names of role, action, object type and
    outcome (their codes kept alongside)."""
    events = list(events)
    people = selectors.audit_people({e.actor_id for e in events if e.actor_id is not None})
    roles = selectors.role_names()
    places = jurisdiction_names({e.jurisdiction for e in events})
    out = []
    for e in events:
        role = roles.get(e.role)
        out.append({
            "id": e.pk, "at": timezone.localtime(e.at), "actor_username": e.actor_username,
            "actor_name": people.get(e.actor_id, "") if e.actor_id is not None else "",
            "role": e.role, "role_name": role[0] if role else e.role, "jurisdiction": e.jurisdiction,
            "jurisdiction_name": places.get(e.jurisdiction, ""),
            "action": e.action, "action_name": action_label(e.action),
            "object_type": e.object_type, "object_type_name": object_type_label(e.object_type),
            "object_id": e.object_id, "object_id_name": object_id_label(e.object_id),
            "outcome": e.outcome, "outcome_name": outcome_label(e.outcome),
            "reason": e.reason, "reason_name": reason_label(e.reason), "request_id": e.request_id, "ip": e.ip or "", "channel": e.channel,
            "changes": json.dumps(e.changes, ensure_ascii=False, sort_keys=True) if e.changes else "",
        })
    return out


def audit_csv(user: User, filters: dict, described: dict) -> HttpResponse:
    """The filtered audit rows as CSV (UTF-8 with BOM, so Excel opens it), newest first."""
    header = [_("Time (Beijing time)"), _("User name"), pgettext("audit", "User"), pgettext("audit", "Role"),
              _("Jurisdiction code"), pgettext("audit", "Jurisdiction"), pgettext("audit", "Action"), _("Action code"),
              _("Object type"), _("Object type code"), _("Object id"), pgettext("audit", "Outcome"),
              pgettext("audit", "Reason"), _("Request id"), _("IP address"), pgettext("audit", "Channel"), _("Changes (masked)")]
    with transaction.atomic():
        qs = selectors.audit_list(user, **filters)
        events = list(qs[:MAX_ROWS + 1])
        truncated = len(events) > MAX_ROWS
        events = events[:MAX_ROWS]
        buf = io.StringIO()
        writer = csv_writer(buf)  # formula-like text written as text (core/spreadsheet.py)
        writer.writerow(header)
        for start in range(0, len(events), 2000):
            for r in present(events[start:start + 2000]):
                writer.writerow([("" if c is None else str(c)) for c in (
                    r["at"].strftime("%Y-%m-%d %H:%M:%S"), r["actor_username"], r["actor_name"], r["role_name"],
                    r["jurisdiction"], r["jurisdiction_name"], r["action_name"], r["action"], r["object_type_name"],
                    r["object_type"],
                    r["object_id"], r["outcome_name"], r["reason"], r["request_id"], r["ip"], r["channel"],
                    r["changes"])])
        audit_write(AuditAction.EXPORT, actor=user, object_type="audit", object_id="csv",
                    changes={"rows": len(events), "truncated": truncated, "filter": described})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return HttpResponse(codecs.BOM_UTF8 + buf.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"',
                                 "Cache-Control": "no-store"})
