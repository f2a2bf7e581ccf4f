"""Every write of a reconciliation (对账): start (spool the upload, enqueue the linkage), the linkage run
(in the task worker: quality/reconcile_tasks.py), and the grid worker's decision on a worklist item.
Nothing is written to the register."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, require_capability
from gridgov.core.audit import audit_write
from gridgov.core.errors import Conflict, FieldError, NotFound
from gridgov.core.models import AuditAction
from gridgov.quality import linkage
from gridgov.quality.models import ExternalRecord, LinkCandidate, Reconciliation, WorklistItem

RECONCILE = "quality.reconcile"
VERIFY = "quality.verify"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ENCODINGS = ("", "utf-8", "gb18030")  # "" = detect
FIELD_NAMES = {"record_id": _("record number"), "name": _("person's name"), "sex": _("sex"), "birth_date": _("birth date"),
               "identity_number": _("identity number"), "mobile": _("mobile"), "address": _("address"),
               "header": _("header")}


def spool_dir() -> Path:
    return Path(settings.VAR_DIR) / "reconcile"


def _progress(rec_id: int, done: int, message: str = "") -> None:
    fields: dict[str, int | str] = {"progress_done": done}
    if message:
        fields["message"] = message
    Reconciliation.objects.filter(pk=rec_id).update(**fields)


@transaction.atomic
def reconciliation_start(*, actor: User, name: str, area_code: str, list_kind: str, upload,
                         encoding: str = "", threshold: float = linkage.DEFAULT_THRESHOLD) -> Reconciliation:
    """Spool ``upload`` (CSV or XLSX) under VAR_DIR and enqueue its linkage against the register rows of
    ``area_code`` (in the actor's scope)."""
    require_capability(actor, RECONCILE)
    area_code = (area_code or "").strip()
    if not re.fullmatch(r"\d{6}(\d{3}){0,2}", area_code):
        raise FieldError("area_code", "%(value)s is not a district, street or community code", code="invalid",
                         params={"value": area_code[:20]})
    if not code_in_scope(actor, area_code, capability=RECONCILE, purpose="write"):
        raise NotFound("no such area", code="not_found")
    name = (name or "").strip()[:100]
    if not name:
        raise FieldError("name", "a name is required", code="required")
    if list_kind not in Reconciliation.ListKind.values:
        raise FieldError("list_kind", "%(value)s is not a kind of list", code="invalid", params={"value": list_kind[:20]})
    if encoding not in ENCODINGS:
        raise FieldError("encoding", "%(value)s is not an encoding offered", code="invalid", params={"value": encoding[:20]})
    if not 0 < threshold < 1:
        raise FieldError("threshold", "%(value)s is not a probability", code="range", params={"value": f"{threshold:g}"})
    if upload is None:
        raise FieldError("file", "choose a file", code="required")
    lower = upload.name.lower()
    if not lower.endswith((".csv", ".xlsx", ".txt")):
        raise FieldError("file", "%(value)s is neither CSV nor Excel (.xlsx)", code="invalid",
                         params={"value": upload.name[:80]})
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise FieldError("file", "the file is larger than 20 MB", code="too_large")
    spool_dir().mkdir(parents=True, exist_ok=True)
    suffix = ".xlsx" if lower.endswith(".xlsx") else ".csv"
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="list-", dir=spool_dir())
    with os.fdopen(fd, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    rec = Reconciliation.objects.create(name=name, area_code=area_code, list_kind=list_kind,
                                        filename=upload.name[:200], encoding=encoding, threshold=threshold,
                                        created_by=actor)
    audit_write(AuditAction.IMPORT, actor=actor, object_type="quality.reconciliation", object_id=rec.pk,
                changes={"area": area_code, "list": list_kind, "file": upload.name[:200]})
    from gridgov.quality.reconcile_tasks import reconcile_run

    spool = os.path.basename(path)
    transaction.on_commit(lambda: reconcile_run.enqueue(reconciliation_id=rec.pk, spool=spool))
    return rec


def _read_rows(path: Path, encoding: str) -> tuple[list[dict], str]:
    from gridgov.quality.link_cli import decode, read_rows, read_table

    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        table = [["" if v is None else (v.isoformat()[:10] if hasattr(v, "isoformat") else str(v)) for v in values]
                 for values in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
        return read_table(table, source=""), "xlsx"
    text, used = decode(path.read_bytes(), encoding or None)
    return read_rows(text, source=""), used


def _problems_text(exc: Exception) -> str:
    """The reasons of a refused list in the uploader's language, one line each (at most 50)."""
    details = getattr(exc, "details", None)
    if not details:
        return gettext("The file cannot be read as CSV (UTF-8 or GBK) or Excel .xlsx.")
    lines = []
    for line, field_name, template, params in details[:50]:
        reason = gettext(template) % params
        where = gettext("line %(line)s") % {"line": line}
        lines.append(f"{where} · {FIELD_NAMES.get(field_name, field_name)}: {reason}" if field_name
                     else f"{where}: {reason}")
    if len(details) > 50:
        lines.append(gettext("… and %(count)s more") % {"count": len(details) - 50})
    return "\n".join(lines)


def _norm_address(text: str) -> str:
    return re.sub(r"\s+", "", text or "").lower()


def reconciliation_run(*, reconciliation_id: int, spool: str) -> dict:
    """The body of the linkage task: read the list, link it to the register rows of the area, store the
    candidates and the worklist in one transaction. A bad file fails the run with each line's reason."""
    from gridgov.registry.models import House, Person

    path = spool_dir() / Path(spool).name
    rec = Reconciliation.objects.filter(pk=reconciliation_id).first()
    if rec is None or rec.status not in (Reconciliation.Status.PENDING, Reconciliation.Status.RUNNING):
        return {"reconciliation": reconciliation_id, "status": rec.status if rec else "missing"}
    Reconciliation.objects.filter(pk=rec.pk).update(status=Reconciliation.Status.RUNNING, progress_done=5)
    try:
        try:
            rows, used = _read_rows(path, rec.encoding)
            external = linkage.normalise(rows, source="")
        except (linkage.LinkInputError, UnicodeDecodeError, ValueError, OSError) as exc:
            message = _problems_text(exc)
            Reconciliation.objects.filter(pk=rec.pk).update(status=Reconciliation.Status.FAILED, message=message,
                                                            finished_at=timezone.now(), progress_done=100)
            return {"reconciliation": rec.pk, "status": "failed"}
        _progress(rec.pk, 15)
        people = list(Person.objects.filter(grid_code__startswith=rec.area_code, status=Person.Status.ACTIVE)
                      .select_related("house").order_by("pk"))
        register_rows = [{"record_id": str(p.pk), "name": p.name, "sex": {"1": "男", "2": "女"}.get(p.sex, ""),
                          "birth_date": p.birth_date.isoformat() if p.birth_date else "",
                          "identity_number": p.identity_number or "", "mobile": p.phone or "",
                          "address": p.house.address if p.house else ""} for p in people]
        register = linkage.normalise(register_rows, source="register")
        _progress(rec.pk, 25)
        links = linkage.link(register, external, threshold=rec.threshold)
        _progress(rec.pk, 85)
        by_person = {p.pk: p for p in people}
        houses = {_norm_address(h.address): h.grid_code for h in House.objects.filter(grid_code__startswith=rec.area_code)
                  .only("address", "grid_code")}
        linked = {lk.external_id: lk for lk in links}
        counts = {k: 0 for k in LinkCandidate.Kind.values}
        with transaction.atomic():
            for line, (raw, norm) in enumerate(zip(rows, external, strict=True), start=2):
                record = ExternalRecord.objects.create(
                    reconciliation=rec, line=line, record_id=norm["record_id"], name=(raw.get("name") or "")[:64],
                    sex=norm["sex"] or "", birth_date=norm["birth_date"] or "",
                    identity_number=norm["identity_number"] or "", mobile=norm["mobile"] or "",
                    address=(raw.get("address") or "")[:200])
                lk = linked.get(norm["record_id"])
                if lk is None:
                    kind, person, grid = LinkCandidate.Kind.UNREGISTERED, None, houses.get(norm["address"] or "", "")
                else:
                    person = by_person[int(lk.register_id)]
                    kind = LinkCandidate.Kind.CONFLICT if lk.conflicts else LinkCandidate.Kind.MATCH
                    grid = person.grid_code
                counts[kind] += 1
                cand = LinkCandidate.objects.create(
                    reconciliation=rec, record=record, person=person, kind=kind, grid_code=grid,
                    match_probability=lk.match_probability if lk else None,
                    conflicts=list(lk.conflicts) if lk else [])
                if kind != LinkCandidate.Kind.MATCH:
                    WorklistItem.objects.create(reconciliation=rec, candidate=cand, area_code=rec.area_code,
                                                grid_code=grid)
            Reconciliation.objects.filter(pk=rec.pk).update(
                status=Reconciliation.Status.DONE, encoding=used, rows=len(external), register_rows=len(register),
                matched=counts["match"], conflicting=counts["conflict"], unregistered=counts["unregistered"],
                progress_done=100, finished_at=timezone.now(), message="")
            audit_write(AuditAction.CREATE, actor=rec.created_by, object_type="quality.reconciliation",
                        object_id=rec.pk, changes={"rows": len(external), **counts})
        return {"reconciliation": rec.pk, "status": "done", **counts}
    except Exception as exc:
        Reconciliation.objects.filter(pk=rec.pk).update(status=Reconciliation.Status.FAILED, message=str(exc)[:500],
                                                        finished_at=timezone.now())
        raise
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


@transaction.atomic
def worklist_item_decide(*, actor: User, item_id: int, outcome: str, note: str = "") -> WorklistItem:
    """A visit's verdict on a worklist item: ``confirmed`` (the person lives there unregistered / the
    field really differs) or ``rejected``. Grid workers decide the items of their grids; the centre
    those it could not place. Audited; the register is not changed."""
    if outcome not in (WorklistItem.Status.CONFIRMED, WorklistItem.Status.REJECTED):
        raise FieldError("outcome", "%(value)s is not confirmed or rejected", code="invalid",
                         params={"value": outcome[:20]})
    item = WorklistItem.objects.filter(pk=item_id).first()
    if item is None:
        raise NotFound("no such worklist item", code="not_found")
    if item.grid_code:
        allowed = code_in_scope(actor, item.grid_code, capability=VERIFY, purpose="write")
    else:
        allowed = code_in_scope(actor, item.area_code, capability=RECONCILE, purpose="write")
    if not allowed:
        raise NotFound("no such worklist item", code="not_found")
    updated = WorklistItem.objects.filter(pk=item.pk, status=WorklistItem.Status.OPEN).update(
        status=outcome, note=(note or "").strip()[:500], decided_by=actor, decided_at=timezone.now())
    if not updated:
        raise Conflict("this item was already decided", code="already_decided")
    audit_write(AuditAction.TRANSITION, actor=actor, object_type="quality.worklist_item", object_id=item.pk,
                changes={"status": [WorklistItem.Status.OPEN.value, outcome], "note": (note or "")[:500]})
    item.refresh_from_db()
    return item
