"""The one write of the staffing numbers: set a station's police and auxiliary police in a street
(insert or update), audited; ``prevention.manage`` in the street's capture jurisdiction."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, require_capability
from gridgov.core.audit import audit_write
from gridgov.core.errors import FieldError, NotFound
from gridgov.core.models import AuditAction
from gridgov.core.versioning import update_versioned
from gridgov.prevention.models import StationStaffing

MANAGE = "prevention.manage"
MAX_STAFF = 100_000


@transaction.atomic
def staffing_set(*, actor: User, station: str, street_code: str, police: int, auxiliary: int,
                 as_of: date) -> StationStaffing:
    require_capability(actor, MANAGE)
    station = (station or "").strip()
    if not station:
        raise FieldError("station", "name the police station", code="required")
    if len(station) > 64:
        raise FieldError("station", "at most %(n)s characters", code="too_long", params={"n": 64})
    if not (street_code.isdigit() and len(street_code) == 9):
        raise FieldError("street_code", "expected the 9-digit code of a street or town", code="invalid")
    for name, value in (("police", police), ("auxiliary", auxiliary)):
        if not 0 <= value <= MAX_STAFF:
            raise FieldError(name, "expected a whole number between 0 and %(max)s", code="range",
                             params={"max": MAX_STAFF})
    if not code_in_scope(actor, street_code, capability=MANAGE, purpose="write"):
        raise NotFound("street not found")
    row = StationStaffing.objects.filter(station=station, street_code=street_code).first()
    if row is None:
        row = StationStaffing.objects.create(station=station, street_code=street_code, police=police,
                                             auxiliary=auxiliary, as_of=as_of, updated_by=actor)
        before: dict = {}
    else:
        before = {"police": row.police, "auxiliary": row.auxiliary, "as_of": row.as_of.isoformat()}
        update_versioned(StationStaffing, row.pk, row.version, police=police, auxiliary=auxiliary, as_of=as_of,
                         updated_by=actor)
        row.refresh_from_db()
    audit_write(AuditAction.UPDATE if before else AuditAction.CREATE, actor=actor, object_type="prevention_staffing",
                object_id=row.pk, jurisdiction=street_code,
                changes={"station": station, "before": before,
                         "after": {"police": police, "auxiliary": auxiliary, "as_of": as_of.isoformat()}})
    return row
