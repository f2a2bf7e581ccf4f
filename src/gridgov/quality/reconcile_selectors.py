"""Every read of a reconciliation, scoped: a centre (quality.reconcile) sees the reconciliations of its
area and their candidates; a grid worker (quality.verify) sees the worklist items of its grids. Outside
the scope -> 404; without the capability -> 403. Identity numbers and mobiles are masked here."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from gridgov.accounts.models import User
from gridgov.accounts.scope import has_capability, require_capability, scope_q, scoped, user_prefixes
from gridgov.core.audit import audit_write
from gridgov.core.errors import NotFound
from gridgov.core.masking import mask_identity_number, mask_phone
from gridgov.core.models import AuditAction
from gridgov.quality.models import LinkCandidate, Reconciliation, WorklistItem
from gridgov.quality.reconcile_services import RECONCILE, VERIFY


def reconciliations(user: User) -> QuerySet[Reconciliation]:
    return scoped(Reconciliation.objects.all(), user, field="area_code", capability=RECONCILE)


def reconciliation_get(user: User, rec_id: int) -> Reconciliation:
    rec = reconciliations(user).filter(pk=rec_id).first()
    if rec is None:
        raise NotFound("no such reconciliation", code="not_found")
    return rec


def progress(rec: Reconciliation) -> dict:
    return {"id": rec.pk, "status": rec.status, "status_label": str(rec.get_status_display()),
            "progress": min(100, int(rec.progress_done * 100 / max(rec.progress_total, 1))),
            "rows": rec.rows, "matched": rec.matched, "conflicting": rec.conflicting,
            "unregistered": rec.unregistered, "message": rec.message}


def _record_row(c: LinkCandidate) -> dict:
    r = c.record
    return {"id": c.pk, "line": r.line, "record_id": r.record_id, "name": r.name, "sex": r.sex,
            "birth_date": r.birth_date, "identity_number": mask_identity_number(r.identity_number or None),
            "mobile": mask_phone(r.mobile or None), "address": r.address, "kind": c.kind,
            "kind_label": str(c.get_kind_display()), "probability": c.match_probability,
            "conflicts": list(c.conflicts), "grid_code": c.grid_code,
            "person_id": c.person_id, "person_name": c.person.name if c.person else ""}


def candidates(user: User, rec: Reconciliation, *, kind: str = "", limit: int = 200) -> list[dict]:
    """The candidates of a reconciliation (masked); the read of resident data is audited."""
    qs = LinkCandidate.objects.filter(reconciliation=rec).select_related("record", "person")
    if kind in LinkCandidate.Kind.values:
        qs = qs.filter(kind=kind)
    rows = [_record_row(c) for c in qs.order_by("kind", "record__line")[:limit]]
    audit_write(AuditAction.READ, actor=user, object_type="quality.reconciliation", object_id=rec.pk,
                changes={"candidates": len(rows), "kind": kind or "all"})
    return rows


def worklist(user: User, *, status: str = WorklistItem.Status.OPEN, limit: int = 200) -> list[dict]:
    """The items a user verifies: those of the grids in the user's capture scope (quality.verify), and
    for a centre (quality.reconcile) those of its area that could not be placed in a grid."""
    if not (has_capability(user, VERIFY) or has_capability(user, RECONCILE)):
        require_capability(user, VERIFY)
    q = scope_q(user_prefixes(user, VERIFY, purpose="write"), "grid_code") & ~Q(grid_code="")
    if has_capability(user, RECONCILE):
        q |= scope_q(user_prefixes(user, RECONCILE, purpose="write"), "area_code") & Q(grid_code="")
    qs = (WorklistItem.objects.filter(q).select_related("candidate__record", "candidate__person", "reconciliation")
          .order_by("grid_code", "id"))
    if status:
        qs = qs.filter(status=status)
    items = []
    for item in qs[:limit]:
        row = _record_row(item.candidate)
        row.update(item_id=item.pk, status=item.status, status_label=str(item.get_status_display()),
                   note=item.note, item_grid=item.grid_code, reconciliation=item.reconciliation.name,
                   list_kind=str(item.reconciliation.get_list_kind_display()))
        items.append(row)
    if items:
        audit_write(AuditAction.READ, actor=user, object_type="quality.worklist", object_id="",
                    changes={"items": len(items)})
    return items


def worklist_counts(user: User, rec: Reconciliation) -> dict:
    qs = WorklistItem.objects.filter(reconciliation=rec)
    return {s: qs.filter(status=s).count() for s in WorklistItem.Status.values} | {
        "centre": qs.filter(grid_code="").count()}
