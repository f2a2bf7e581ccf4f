"""Writes of the visits of a verification campaign: assignment of the sampled houses to grid workers,
recording a visit (what was found), and the corrections it proposes, which the centre approves and
the registry's own services apply. Every write is audited.

An estimate reads the counts stored on the visit (what was found); an approved correction changes the
register and never the visit.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.accounts.models import Membership, User
from gridgov.accounts.scope import code_in_scope, require_capability
from gridgov.core.audit import audit_write
from gridgov.core.errors import Conflict, FieldError, Forbidden, NotFound
from gridgov.core.masking import mask_identity_number
from gridgov.core.models import AuditAction
from gridgov.quality.models import (
    Campaign,
    CorrectionProposal,
    SampledHouse,
    Visit,
    VisitAssignment,
    VisitPerson,
)
from gridgov.quality.models.visits import CHECKED_FIELDS
from gridgov.registry import selectors as registry_selectors
from gridgov.registry import services as registry_services

DESIGN = "quality.design"
VISIT = "quality.visit"
MAX_PERSONS = 30
#: 户籍人口 / 来沪人员 / 境外人员 (the register's population types)
POPULATION_TYPES = ("01", "02", "03")
_ID_FORMAT = re.compile(r"^[0-9]{17}[0-9X]$")


def _campaign_for_write(actor: User, campaign_id: int) -> Campaign:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or not code_in_scope(actor, campaign.area_code, capability=DESIGN, purpose="write"):
        raise NotFound("campaign not found")
    return campaign


def _workers_by_grid(grid_codes: set[str]) -> dict[str, list[int]]:
    """The users who may visit in each grid: an active capture membership whose role holds
    ``quality.visit`` on the grid itself, else on its community (the nearest level wins)."""
    rows = (Membership.objects.filter(active=True, scope=Membership.Scope.CAPTURE, user__is_active=True)
            .select_related("role").values_list("user_id", "jurisdiction", "role__capabilities"))
    by_prefix: dict[str, set[int]] = defaultdict(set)
    for user_id, jurisdiction, capabilities in rows:
        if VISIT in (capabilities or []):
            by_prefix[jurisdiction].add(user_id)
    out = {}
    for grid in grid_codes:
        for digits in (15, 12):
            users = by_prefix.get(grid[:digits])
            if users:
                out[grid] = sorted(users)
                break
    return out


@transaction.atomic
def assignment_default(*, actor: User, campaign_id: int) -> int:
    """Assign every unassigned sampled house of the campaign to a grid worker of its grid (round robin
    over the grid's workers, in house order); returns how many were assigned. Houses of a grid
    without any worker stay unassigned (the centre assigns them by hand)."""
    require_capability(actor, DESIGN)
    campaign = _campaign_for_write(actor, campaign_id)
    houses = list(SampledHouse.objects.filter(campaign=campaign, assignment__isnull=True)
                  .order_by("grid_code", "rank", "id").values_list("pk", "grid_code"))
    workers = _workers_by_grid({g for _, g in houses})
    turn: dict[str, int] = defaultdict(int)
    rows = []
    for pk, grid in houses:
        users = workers.get(grid)
        if not users:
            continue
        rows.append(VisitAssignment(sampled_house_id=pk, campaign=campaign, grid_code=grid,
                                    worker_id=users[turn[grid] % len(users)], assigned_by=actor))
        turn[grid] += 1
    VisitAssignment.objects.bulk_create(rows, batch_size=1000)
    audit_write(AuditAction.CREATE, actor=actor, object_type="quality.assignment", object_id=campaign.pk,
                jurisdiction=campaign.area_code, changes={"assigned": len(rows), "unassigned": len(houses) - len(rows)})
    return len(rows)


@transaction.atomic
def assignment_set(*, actor: User, sampled_house_id: int, worker_id: int) -> VisitAssignment:
    """The centre (re)assigns one sampled house to a worker who may visit in its grid."""
    require_capability(actor, DESIGN)
    sampled = SampledHouse.objects.filter(pk=sampled_house_id).select_related("campaign").first()
    if sampled is None or not code_in_scope(actor, sampled.grid_code, capability=DESIGN, purpose="write"):
        raise NotFound("sampled house not found")
    worker = User.objects.filter(pk=worker_id, is_active=True).first()
    if worker is None or not code_in_scope(worker, sampled.grid_code, capability=VISIT, purpose="write"):
        raise FieldError("worker_id", "this user may not visit houses in grid %(grid)s", code="not_a_visitor",
                         params={"grid": sampled.grid_code})
    if Visit.objects.filter(sampled_house=sampled).exists():
        raise Conflict("the house has been visited already", code="visited")
    old = VisitAssignment.objects.filter(sampled_house=sampled).first()
    assignment, _ = VisitAssignment.objects.update_or_create(
        sampled_house=sampled, defaults={"campaign": sampled.campaign, "grid_code": sampled.grid_code,
                                         "worker": worker, "assigned_by": actor})
    audit_write(AuditAction.UPDATE, actor=actor, object_type="quality.assignment", object_id=sampled.pk,
                jurisdiction=sampled.grid_code,
                changes={"worker": [old.worker_id if old else None, worker.pk]})
    return assignment


def _clean_person(raw: dict, i: int, house_id: int, visible_ids: set[int]) -> tuple[dict, int | None]:
    field = f"persons[{i}]"
    person_id = raw.get("person_id")
    if person_id not in (None, ""):
        try:
            pid = int(person_id)
        except (TypeError, ValueError):
            raise FieldError(f"{field}.person_id", "%(value)s is not a number", code="invalid",
                             params={"value": repr(person_id)}) from None
        if pid not in visible_ids:
            raise FieldError(f"{field}.person_id", "no resident %(id)s in your jurisdiction", code="not_found",
                             params={"id": pid})
        differing = raw.get("differing") or {}
        if not isinstance(differing, dict):
            raise FieldError(f"{field}.differing", "expected field -> value found", code="invalid")
        unknown = sorted(set(differing) - set(CHECKED_FIELDS))
        if unknown:
            raise FieldError(f"{field}.differing", "%(fields)s is not a checked field; expected one of %(values)s",
                             code="choice", params={"fields": ", ".join(unknown), "values": ", ".join(CHECKED_FIELDS)})
        values = {k: str(v).strip()[:64] for k, v in differing.items()}
        values.pop("house", None)
        if "house" in differing:
            values["house"] = str(house_id)  # found living here, registered elsewhere
        for k, v in values.items():
            if not v:
                raise FieldError(f"{field}.differing.{k}", "is empty: write the value found", code="required")
        return {"registered": True, "person_id": pid, "differing": values}, pid
    stub = raw.get("stub") or {}
    name = str(stub.get("name") or "").strip()
    if not name:
        raise FieldError(f"{field}.stub.name", "is empty", code="required")
    if len(name) > 64:
        raise FieldError(f"{field}.stub.name", "has %(n)s characters; at most %(max)s", code="max_length",
                         params={"n": len(name), "max": 64})
    sex = str(stub.get("sex") or "0")
    if sex not in ("0", "1", "2", "9"):
        raise FieldError(f"{field}.stub.sex", "%(value)s is not one of %(values)s", code="choice",
                         params={"value": repr(sex), "values": "0, 1, 2, 9"})
    birth = str(stub.get("birth_date") or "").strip()
    if birth:
        try:
            born = date.fromisoformat(birth)
        except ValueError:
            raise FieldError(f"{field}.stub.birth_date", "%(value)s is not a date (YYYY-MM-DD)", code="invalid",
                             params={"value": repr(birth)}) from None
        if born > timezone.localdate():
            raise FieldError(f"{field}.stub.birth_date", "%(value)s is in the future", code="range",
                             params={"value": birth})
    number = str(stub.get("identity_number") or "").strip().upper()
    if number and not _ID_FORMAT.match(number):
        raise FieldError(f"{field}.stub.identity_number", "%(value)s is not an identity number (18 characters)",
                         code="invalid", params={"value": mask_identity_number(number)})
    ptype = str(stub.get("population_type") or "01")
    if ptype not in POPULATION_TYPES:
        raise FieldError(f"{field}.stub.population_type", "%(value)s is not one of %(values)s", code="choice",
                         params={"value": repr(ptype), "values": ", ".join(POPULATION_TYPES)})
    out = {"name": name, "sex": sex, "birth_date": birth, "population_type": ptype}
    if number:
        out["identity_number"] = number
    return {"registered": False, "name": name, "stub": out}, None


@transaction.atomic
def visit_record(*, actor: User, sampled_house_id: int, outcome: str, persons: list[dict] | None = None,
                 visited_on: date | None = None, notes: str = "", client_uuid: str | None = None) -> Visit:
    """Record the visit of a sampled house: the outcome and, when residents were found, each person
    (``{"person_id": id, "differing": {field: value found}}`` for a register row, or ``{"stub": {"name",
    "sex", "birth_date"}}`` for someone not registered). A house is visited once; the same
    ``client_uuid`` again returns the first visit (a phone resubmitting)."""
    require_capability(actor, VISIT)
    if client_uuid:
        try:
            key = uuid.UUID(str(client_uuid))
        except ValueError:
            raise FieldError("client_uuid", "%(value)s is not a UUID", code="invalid",
                             params={"value": repr(client_uuid)}) from None
        earlier = Visit.objects.filter(client_uuid=key).first()
        if earlier is not None:
            if earlier.sampled_house_id != sampled_house_id:
                raise Conflict("this client_uuid recorded another house", code="uuid_reused")
            return earlier
    else:
        key = None
    sampled = SampledHouse.objects.filter(pk=sampled_house_id).select_related("campaign").first()
    if sampled is None or not code_in_scope(actor, sampled.grid_code, capability=VISIT, purpose="write"):
        raise NotFound("sampled house not found")
    assignment = VisitAssignment.objects.filter(sampled_house=sampled).first()
    if assignment is not None and assignment.worker_id != actor.pk:
        raise Forbidden("the house is assigned to another worker", code="not_assigned")
    if outcome not in Visit.Outcome.values:
        raise FieldError("outcome", "%(value)s is not one of %(values)s", code="choice",
                         params={"value": repr(outcome), "values": ", ".join(Visit.Outcome.values)})
    visited_on = visited_on or timezone.localdate()
    if visited_on > timezone.localdate():
        raise FieldError("visited_on", "%(value)s is in the future", code="range",
                         params={"value": visited_on.isoformat()})
    persons = list(persons or [])
    if outcome == Visit.Outcome.FOUND and not persons:
        raise FieldError("persons", "residents found, but no person listed; record the house as empty instead",
                         code="required")
    if outcome != Visit.Outcome.FOUND and persons:
        raise FieldError("persons", "persons are listed only when residents were found", code="invalid")
    if len(persons) > MAX_PERSONS:
        raise FieldError("persons", "has %(n)s persons; at most %(max)s", code="max_length",
                         params={"n": len(persons), "max": MAX_PERSONS})
    wanted = {int(p["person_id"]) for p in persons
              if isinstance(p, dict) and str(p.get("person_id") or "").isdigit()}
    visible = set(registry_selectors.persons_by_ids(actor, wanted)) if wanted else set()
    cleaned = []
    seen: set[int] = set()
    for i, raw in enumerate(persons):
        if not isinstance(raw, dict):
            raise FieldError(f"persons[{i}]", "expected an object", code="invalid")
        row, pid = _clean_person(raw, i, sampled.house_id, visible)
        if pid is not None:
            if pid in seen:
                raise FieldError(f"persons[{i}].person_id", "resident %(id)s is listed twice", code="duplicate",
                                 params={"id": pid})
            seen.add(pid)
        cleaned.append(row)
    registered_rows = {p.pk: (p.name, p.house_id) for p in registry_selectors.persons_visible(actor).filter(pk__in=seen)}
    for row in cleaned:
        # registered at another house (or none) and found living here: the house field differs
        if row["registered"] and registered_rows[row["person_id"]][1] != sampled.house_id:
            row["differing"]["house"] = str(sampled.house_id)
    registered = [r for r in cleaned if r["registered"]]
    names = {pk: name for pk, (name, _) in registered_rows.items()}
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                sampled_house=sampled, campaign=sampled.campaign, grid_code=sampled.grid_code, worker=actor,
                outcome=outcome, visited_on=visited_on, notes=(notes or "").strip()[:500], client_uuid=key,
                persons_found=len(cleaned), persons_registered=len(registered), records_checked=len(registered),
                records_accurate=sum(1 for r in registered if not r["differing"]))
    except IntegrityError:
        raise Conflict("the house has been visited already", code="visited") from None
    proposals = 0
    for row in cleaned:
        vp = VisitPerson.objects.create(
            visit=visit, registered=row["registered"], person_id=row.get("person_id"),
            name=names.get(int(row["person_id"]), "") if row["registered"] else str(row["name"]),
            differing=sorted(row.get("differing", {})),
            stub={k: v for k, v in row.get("stub", {}).items() if k != "identity_number"})
        if row["registered"] and row["differing"]:
            CorrectionProposal.objects.create(campaign=sampled.campaign, visit_person=vp, grid_code=sampled.grid_code,
                                              kind=CorrectionProposal.Kind.UPDATE, person_id=row["person_id"],
                                              house_id=sampled.house_id, data=row["differing"])
            proposals += 1
        elif not row["registered"]:
            CorrectionProposal.objects.create(campaign=sampled.campaign, visit_person=vp, grid_code=sampled.grid_code,
                                              kind=CorrectionProposal.Kind.REGISTER, house_id=sampled.house_id,
                                              data=row["stub"])
            proposals += 1
    audit_write(AuditAction.CREATE, actor=actor, object_type="quality.visit", object_id=visit.pk,
                jurisdiction=sampled.grid_code, changes={
                    "campaign": sampled.campaign_id, "house": sampled.house_code, "outcome": outcome,
                    "persons_found": visit.persons_found, "persons_registered": visit.persons_registered,
                    "records_accurate": visit.records_accurate, "proposals": proposals})
    return visit


def _apply(actor: User, proposal: CorrectionProposal) -> dict:
    """Apply an approved proposal through the registry's services (they check and audit the write)."""
    data = dict(proposal.data)
    if proposal.kind == CorrectionProposal.Kind.REGISTER:
        person_data = {"name": data.get("name", ""), "sex": data.get("sex") or "0",
                       "birth_date": data.get("birth_date") or None, "identity_number": data.get("identity_number"),
                       "population_type": data.get("population_type") or "01"}
        reg = registry_services.person_register(actor=actor, data=person_data, house_id=proposal.house_id)
        return {"person": reg.person.pk}
    if proposal.person_id is None:
        raise Conflict("the resident has been removed from the register", code="gone")
    house = data.pop("house", None)
    update = dict(data)  # the checked fields are the register's own field names
    if update:
        registry_services.person_update(actor=actor, person_id=proposal.person_id, data=update)
    if house:
        registry_services.person_move_in(actor=actor, person_id=proposal.person_id, house_id=proposal.house_id)
    return {"person": proposal.person_id, "fields": sorted(data) + (["house"] if house else [])}


@transaction.atomic
def correction_decide(*, actor: User, proposal_id: int, approve: bool, reason: str = "") -> CorrectionProposal:
    """The centre approves (applied to the register through its services) or rejects a proposal.
    Decided once: a second decision is a conflict (409)."""
    require_capability(actor, DESIGN)
    proposal = CorrectionProposal.objects.filter(pk=proposal_id).first()
    if proposal is None or not code_in_scope(actor, proposal.grid_code, capability=DESIGN, purpose="write"):
        raise NotFound("correction not found")
    status = CorrectionProposal.Status.APPROVED if approve else CorrectionProposal.Status.REJECTED
    now = timezone.now()
    won = CorrectionProposal.objects.filter(pk=proposal.pk, status=CorrectionProposal.Status.PROPOSED).update(
        status=status, decided_by=actor, decided_at=now)
    if not won:
        raise Conflict("the correction has been decided already", code="decided")
    applied = _apply(actor, proposal) if approve else {}
    audit_write(AuditAction.UPDATE, actor=actor, object_type="quality.correction", object_id=proposal.pk,
                jurisdiction=proposal.grid_code, reason=(reason or "")[:200],
                changes={"status": status, "kind": proposal.kind, **applied})
    proposal.refresh_from_db()
    return proposal
