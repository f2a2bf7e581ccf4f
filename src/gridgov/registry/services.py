"""Every write of the register: register, update, move in/out/transfer (history kept), flags,
permits, organisations, rentals, duplicate review and merge, reveal. Imports: ``registry.imports``.

``actor`` None means the system (CLI, demo loader): no jurisdiction check. Otherwise the row being
written, and the place it is written to, must be in the actor's capture scope for ``registry.edit``;
a row outside is absent (404), a target place outside is 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F, ManyToManyRel, Q
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, require_capability
from gridgov.core.audit import audit_write
from gridgov.core.denials import audit_denied
from gridgov.core.errors import Conflict, ErrorDetail, ErrorReport, FieldError, Forbidden, NotFound
from gridgov.core.models import AuditAction
from gridgov.core.versioning import update_versioned
from gridgov.geo.models import Grid
from gridgov.geo.selectors import locate_code
from gridgov.registry import codes, selectors
from gridgov.registry import validation as v
from gridgov.registry.identity import blind_index
from gridgov.registry.models import (
    DuplicateCandidate,
    House,
    Organisation,
    Person,
    RentalRegistration,
    Residence,
    ResidencePermit,
)

EDIT = selectors.EDIT


# --- helpers ----------------------------------------------------------------------------------

def _check_place(actor: User | None, grid_code: str, field_name: str = "grid_code") -> None:
    """The grid exists and (for a user) lies in their capture scope for registry.edit."""
    if not Grid.objects.filter(code=grid_code).exists():
        raise FieldError(field_name, "grid %(grid)s does not exist", code="unknown_grid", params={"grid": grid_code})
    if actor is not None:
        require_capability(actor, EDIT)
        if not code_in_scope(actor, grid_code, capability=EDIT, purpose="write"):
            raise Forbidden("%(field)s: grid %(grid)s is outside your jurisdiction",
                            code="out_of_jurisdiction", params={"field": field_name, "grid": grid_code})


def _person_for_write(actor: User | None, person_id: int) -> Person:
    if actor is None:
        person = Person.objects.filter(pk=person_id).first()
        if person is None:
            raise NotFound("person not found")
        return person
    return selectors.person_get(actor, person_id, capability=EDIT, purpose="write")


def _house_for_write(actor: User | None, house_id: int) -> House:
    if actor is None:
        house = House.objects.filter(pk=house_id).first()
        if house is None:
            raise NotFound("house not found")
        return house
    return selectors.house_get(actor, house_id, capability=EDIT, purpose="write")


def _bump(model, obj, version: int | None, **changes) -> None:
    """The optimistic-lock update of ``obj`` (``version`` None: the one just read), then reload it."""
    update_versioned(model, obj.pk, obj.version if version is None else version, **changes)
    obj.refresh_from_db()


def _place_from_point(grid_code: str, lon: float | None, lat: float | None) -> str:
    """The grid code from a point (point-in-grid) and/or an explicit code; they must agree."""
    if (lon is None) != (lat is None):
        raise FieldError("lat" if lat is None else "lon", "give both lon and lat", code="required")
    if lon is not None and lat is not None:
        located = locate_code(lon, lat)
        if located is None:
            raise FieldError("lon", "the point lies outside every grid", code="outside_grids")
        if grid_code and grid_code != located:
            raise FieldError("grid_code", "the point lies in grid %(located)s, not %(given)s", code="mismatch",
                             params={"located": located, "given": grid_code})
        return located
    if not grid_code:
        raise FieldError("grid_code", "give a grid code or a point (lon, lat)", code="required")
    return grid_code


def _audit(action, actor: User | None, obj, *, changes=None, reason="", object_type=None):
    audit_write(action, actor=actor, object_type=object_type or f"registry.{obj._meta.model_name}",
                object_id=obj.pk, changes=changes or {}, reason=reason, jurisdiction=obj.grid_code)


def _identity_conflict(actor: User | None, number: str | None, doc_type: str, doc_number: str, exclude: int | None = None):
    qs = Person.objects.none()
    if number:
        qs = Person.objects.filter(id_hmac=blind_index(number))
        field_name = "identity_number"
    elif doc_number:
        qs = Person.objects.filter(doc_type=doc_type, doc_number=doc_number)
        field_name = "doc_number"
    if exclude:
        qs = qs.exclude(pk=exclude)
    existing = qs.only("id", "grid_code").first()
    if existing is None:
        return
    visible = actor is None or selectors.persons_visible(actor).filter(pk=existing.pk).exists()
    template = ("already registered as person %(id)s" if visible
                else "already registered as a person outside your jurisdiction")
    params = {"id": existing.pk}
    raise Conflict("already registered", code="duplicate",
                   details=[ErrorDetail(field_name, template % params, "duplicate", template=template, params=params)])


# --- houses -----------------------------------------------------------------------------------

HOUSE_FIELDS = ("house_code", "address", "grid_code", "lon", "lat", "building_use", "area_m2", "rented",
                "owner_name", "owner_doc_type", "owner_doc_number", "owner_phone")


def clean_house(data: dict, *, partial: bool = False, report: ErrorReport | None = None,
                row: int | None = None) -> dict:
    """Validate a house. Without ``report`` the first problem raises; with it every problem is added
    to it (an import row reports all of them) and the fields that passed are returned."""
    out: dict = {}
    checks = {
        "house_code": lambda x: v.house_code(x),
        "address": lambda x: v.text(x, "address", max_length=200, required=True),
        "grid_code": lambda x: v.grid(x),
        "lon": lambda x: v.coordinate(x, "lon", -180, 180),
        "lat": lambda x: v.coordinate(x, "lat", -90, 90),
        "building_use": lambda x: v.code(x, "building_use", codes.BUILDING_USE) or "01",
        "area_m2": lambda x: None if v.blank(x) else float(v.count(round(float(x)), "area_m2", maximum=10**7)),
        "rented": lambda x: bool(x) and str(x).strip().lower() not in ("0", "false", "no", "否"),
        "owner_name": lambda x: v.name(x, "owner_name", required=False),
        "owner_doc_type": lambda x: v.code(x, "owner_doc_type", codes.DOC_TYPE),
        "owner_doc_number": lambda x: _owner_doc(x),
        "owner_phone": lambda x: v.phone(x, "owner_phone"),
    }
    for key, fn in checks.items():
        if partial and key not in data:
            continue
        try:
            out[key] = fn(data.get(key))
        except (TypeError, ValueError):
            _problem(report, FieldError(key, "is not a number", code="invalid"), row)
        except FieldError as exc:
            _problem(report, exc, row)
    return out


def _problem(report: ErrorReport | None, exc: FieldError, row: int | None) -> None:
    """Raise ``exc``, or add it to ``report`` when one collects every problem."""
    if report is None:
        raise exc
    report.add_error(exc, row=row)


def _owner_doc(value) -> str:
    if v.blank(value):
        return ""
    raw = str(value).strip().upper()
    if len(raw) in (15, 18) and raw[:17].isdigit():
        from gridgov.core.idnumber import validate_identity_number

        return validate_identity_number(raw, "owner_doc_number")
    return v._doc_number(raw)


@transaction.atomic
def house_register(*, actor: User | None, data: dict) -> House:
    cleaned = clean_house(data)
    cleaned["grid_code"] = _place_from_point(cleaned["grid_code"], cleaned["lon"], cleaned["lat"])
    _check_place(actor, cleaned["grid_code"])
    if House.objects.filter(house_code=cleaned["house_code"]).exists():
        raise Conflict("house code exists", code="duplicate",
                       details=[ErrorDetail("house_code", "already registered", "duplicate")])
    house = House.objects.create(**cleaned)
    _audit(AuditAction.CREATE, actor, house, changes={"house_code": house.house_code, "grid_code": house.grid_code})
    return house


@transaction.atomic
def house_update(*, actor: User | None, house_id: int, data: dict, version: int | None = None) -> House:
    house = _house_for_write(actor, house_id)
    cleaned = clean_house(data, partial=True)
    if "house_code" in cleaned and cleaned["house_code"] != house.house_code:
        raise FieldError("house_code", "cannot be changed", code="read_only")
    if {"lon", "lat", "grid_code"} & set(cleaned):
        lon = cleaned.get("lon", house.lon)
        lat = cleaned.get("lat", house.lat)
        grid = cleaned.get("grid_code") or ("" if "lon" in cleaned else house.grid_code)
        cleaned["grid_code"] = _place_from_point(grid, lon, lat)
        if cleaned["grid_code"] != house.grid_code:
            _check_place(actor, cleaned["grid_code"])
    changes = {k: val for k, val in cleaned.items() if getattr(house, k) != val}
    if not changes:
        return house
    _bump(House, house, version, **changes)
    if "grid_code" in changes:  # residents and rentals follow the house
        Residence.objects.filter(house=house, end_date__isnull=True).update(grid_code=house.grid_code)
        Person.objects.filter(house=house).update(grid_code=house.grid_code, import_hash="")
        RentalRegistration.objects.filter(house=house).update(grid_code=house.grid_code)
    _audit(AuditAction.UPDATE, actor, house, changes={k: str(x) for k, x in changes.items()})
    return house


# --- persons ----------------------------------------------------------------------------------

@dataclass
class Registration:
    person: Person
    duplicates: list[DuplicateCandidate] = field(default_factory=list)


def _residence_fields(relation="", domicile_type="", inflow_reason="") -> dict:
    return {"relation": v.code(relation, "relation", codes.RELATION),
            "domicile_type": v.code(domicile_type, "domicile_type", codes.DOMICILE_TYPE),
            "inflow_reason": v.code(inflow_reason, "inflow_reason", codes.INFLOW_REASON)}


def _find_duplicates(person: Person) -> list[DuplicateCandidate]:
    """Candidates for review: same name + birth date in the same community; same document number
    under another document type (the same number is refused outright: it is unique)."""
    found: dict[int, str] = {}
    if person.birth_date:
        for pk in (Person.objects.filter(name=person.name, birth_date=person.birth_date,
                                         grid_code__startswith=person.grid_code[:12])
                   .exclude(pk=person.pk).values_list("pk", flat=True)[:20]):
            found[pk] = DuplicateCandidate.Reason.SAME_NAME_BIRTH
    if person.doc_number:
        for pk in (Person.objects.filter(doc_number=person.doc_number).exclude(pk=person.pk)
                   .values_list("pk", flat=True)[:20]):
            found[pk] = DuplicateCandidate.Reason.SAME_NUMBER
    out = []
    for pk, reason in found.items():
        out.append(DuplicateCandidate.objects.create(person=person, other_id=pk, reason=reason,
                                                     grid_code=person.grid_code))
    return out


def _fill_identity(cleaned: dict) -> dict:
    number = cleaned.get("identity_number")
    cleaned["id_hmac"] = blind_index(number)
    cleaned["id_last4"] = number[-4:] if number else ""
    return cleaned


@transaction.atomic
def person_register(*, actor: User | None, data: dict, house_id: int | None = None, grid_code: str = "",
                    relation: str = "", domicile_type: str = "", inflow_reason: str = "",
                    moved_in: date | str | None = None) -> Registration:
    """Register a resident at a house (or, without a house, in a grid). Refuses a number that is
    registered already (409); queues possible duplicates for review."""
    cleaned = _fill_identity(v.clean_person(data))
    stay = _residence_fields(relation, domicile_type, inflow_reason)
    start = v.parse_date(moved_in, "moved_in") or date.today()
    house = None
    if house_id is not None:
        house = _house_for_write(actor, house_id)
        place = house.grid_code
    else:
        place = v.grid(grid_code, required=True)
        _check_place(actor, place)
    if actor is not None:
        require_capability(actor, EDIT)
    _identity_conflict(actor, cleaned["identity_number"], cleaned["doc_type"], cleaned["doc_number"])
    cleaned["household_separated"] = v.household_separated(cleaned["population_type"],
                                                            cleaned["hukou_division"], place)
    try:
        with transaction.atomic():
            person = Person.objects.create(**cleaned, grid_code=place, house=house)
    except IntegrityError:
        raise Conflict("already registered", code="duplicate") from None
    if house is not None:
        Residence.objects.create(person=person, house=house, grid_code=place, start_date=start, **stay)
    duplicates = _find_duplicates(person)
    _audit(AuditAction.CREATE, actor, person, changes={
        "name": person.name, "grid_code": place, "house_id": house.pk if house else None,
        "duplicates": [d.other_id for d in duplicates]})
    return Registration(person, duplicates)


@transaction.atomic
def person_update(*, actor: User | None, person_id: int, data: dict, version: int | None = None) -> Person:
    person = _person_for_write(actor, person_id)
    cleaned = v.clean_person(data, partial=True)
    if "identity_number" in cleaned:
        if cleaned["identity_number"] is None and person.identity_number and not cleaned.get("doc_number"):
            raise FieldError("identity_number", "cannot be removed", code="read_only")
        _fill_identity(cleaned)
        _identity_conflict(actor, cleaned["identity_number"], person.doc_type, "", exclude=person.pk)
    changes = {k: val for k, val in cleaned.items() if getattr(person, k) != val}
    if not changes:
        return person
    pop = changes.get("population_type", person.population_type)
    hukou = changes.get("hukou_division", person.hukou_division)
    changes["household_separated"] = v.household_separated(pop, hukou, person.grid_code)
    _bump(Person, person, version, **changes)
    _audit(AuditAction.UPDATE, actor, person, changes={k: str(x) for k, x in changes.items()
                                                       if k not in ("id_hmac",)})
    return person


@transaction.atomic
def person_move_in(*, actor: User | None, person_id: int, house_id: int, moved_in: date | str | None = None,
                   relation: str = "", domicile_type: str = "", inflow_reason: str = "",
                   version: int | None = None) -> Residence:
    """Move a person into a house; a current residence elsewhere is closed first (transfer).
    History is kept: the old row gets an end date, a new row starts."""
    person = _person_for_write(actor, person_id)
    house = _house_for_write(actor, house_id)
    stay = _residence_fields(relation, domicile_type, inflow_reason)
    start = v.parse_date(moved_in, "moved_in") or date.today()
    current = Residence.objects.filter(person=person, end_date__isnull=True).first()
    last = Residence.objects.filter(person=person).order_by("-start_date").values_list("start_date", flat=True)
    if last and start < last[0]:
        raise FieldError("moved_in", "is before the start of the last residence (%(date)s)",
                         code="bad_date", params={"date": last[0].isoformat()})
    if current is not None:
        if current.house_id == house.pk:
            raise FieldError("house_id", "the person lives in this house already", code="unchanged")
        Residence.objects.filter(pk=current.pk).update(end_date=start, end_reason="transfer")
    stay_row = Residence.objects.create(person=person, house=house, grid_code=house.grid_code, start_date=start,
                                        **stay)
    _bump(Person, person, version, house=house, grid_code=house.grid_code, status=Person.Status.ACTIVE,
          household_separated=v.household_separated(person.population_type, person.hukou_division,
                                                    house.grid_code))
    _audit(AuditAction.UPDATE, actor, person, changes={
        "move_in": house.pk, "from_house": current.house_id if current else None, "date": start.isoformat()})
    return stay_row


@transaction.atomic
def person_move_out(*, actor: User | None, person_id: int, moved_out: date | str | None = None, reason: str = "",
                    version: int | None = None) -> Person:
    """Close the current residence (kept as history) and mark the person moved out; the person keeps
    the last grid code so that the community still finds the record."""
    person = _person_for_write(actor, person_id)
    end = v.parse_date(moved_out, "moved_out") or date.today()
    reason = v.text(reason, "reason", max_length=64)
    current = Residence.objects.filter(person=person, end_date__isnull=True).first()
    if current is None:
        raise FieldError("person", "has no current residence", code="no_residence")
    if end < current.start_date:
        raise FieldError("moved_out", "is before moving in (%(date)s)", code="bad_date",
                         params={"date": current.start_date.isoformat()})
    Residence.objects.filter(pk=current.pk).update(end_date=end, end_reason=reason or "moved out")
    _bump(Person, person, version, house=None, status=Person.Status.MOVED_OUT)
    _audit(AuditAction.UPDATE, actor, person, changes={"move_out": current.house_id, "date": end.isoformat()},
           reason=reason)
    return person


@transaction.atomic
def person_set_flags(*, actor: User | None, person_id: int, empty_registration: bool, version: int | None = None) -> Person:
    person = _person_for_write(actor, person_id)
    if person.empty_registration != empty_registration:
        _bump(Person, person, version, empty_registration=empty_registration)
        _audit(AuditAction.UPDATE, actor, person, changes={"empty_registration": empty_registration})
    return person


def person_reveal(*, actor: User, person_id: int, reason: str) -> str:
    """The full identity (or document) number, for a holder of registry.reveal in whose jurisdiction
    the person is, with a reason of at least 4 characters. Audited (REVEAL, with the reason); a
    refusal (403 without the capability, 404 outside the jurisdiction) is audited ``denied``
    (``core.denials``, rate-limited)."""
    try:
        return _person_reveal(actor=actor, person_id=person_id, reason=reason)
    except (Forbidden, NotFound) as exc:
        audit_denied(actor=actor, action=AuditAction.REVEAL, object_type="registry.person", object_id=person_id,
                     exc=exc)
        raise


@transaction.atomic
def _person_reveal(*, actor: User, person_id: int, reason: str) -> str:
    reason = (reason or "").strip()
    person = selectors.person_get(actor, person_id, capability=selectors.REVEAL)
    if len(reason) < 4:
        raise FieldError("reason", "give a reason of at least 4 characters", code="required")
    if len(reason) > 500:
        raise FieldError("reason", "at most 500 characters", code="too_long")
    audit_write(AuditAction.REVEAL, actor=actor, object_type="registry.person", object_id=person.pk,
                reason=reason, jurisdiction=person.grid_code, changes={"field": "identity_number"})
    return person.identity_number or person.doc_number


# --- permits ----------------------------------------------------------------------------------

@transaction.atomic
def permit_issue(*, actor: User | None, person_id: int, number: str, issue_date, expiry_date, condition: str,
                 cert_type: str = "01") -> ResidencePermit:
    person = _person_for_write(actor, person_id)
    if person.population_type != codes.POP_FLOATING:
        raise FieldError("person", "a residence permit is for residents from elsewhere (population type 02)",
                         code="not_eligible")
    number = v._doc_number(number)
    if not number:
        raise FieldError("number", "is required", code="required")
    issued = v.parse_date(issue_date, "issue_date", required=True)
    expires = v.parse_date(expiry_date, "expiry_date", required=True, not_future=False)
    if expires <= issued:
        raise FieldError("expiry_date", "must be after the issue date", code="bad_date")
    condition = v.code(condition, "condition", codes.PERMIT_CONDITION, required=True)
    cert_type = v.code(cert_type, "cert_type", codes.CERT_TYPE) or "01"
    if ResidencePermit.objects.filter(number=number).exists():
        raise Conflict("permit number exists", code="duplicate",
                       details=[ErrorDetail("number", "already registered", "duplicate")])
    status = ResidencePermit.Status.VALID if expires >= date.today() else ResidencePermit.Status.EXPIRED
    permit = ResidencePermit.objects.create(person=person, grid_code=person.grid_code, number=number,
                                            cert_type=cert_type, issue_date=issued, expiry_date=expires,
                                            condition=condition, status=status)
    _audit(AuditAction.CREATE, actor, permit, changes={"person": person.pk, "expiry_date": expires.isoformat()})
    return permit


@transaction.atomic
def permit_end(*, actor: User | None, permit_id: int, reason: str) -> ResidencePermit:
    """End a valid permit before its expiry (superseded by a renewal): status ``expired``, audited."""
    permit = ResidencePermit.objects.filter(pk=permit_id).select_related("person").first()
    if permit is None or (actor is not None and not code_in_scope(actor, permit.grid_code, capability=EDIT,
                                                                  purpose="write")):
        raise NotFound("permit not found")
    if permit.status != ResidencePermit.Status.VALID:
        raise Conflict("the permit is not valid", code="not_valid")
    _bump(ResidencePermit, permit, None, status=ResidencePermit.Status.EXPIRED)
    _audit(AuditAction.UPDATE, actor, permit, changes={"status": "expired", "reason": reason})
    return permit


@transaction.atomic
def permits_lapse(*, today: date | None = None) -> int:
    """The worker's job: a valid permit whose expiry date has passed lapses (status ``expired``),
    each one audited. Returns how many lapsed."""
    today = today or date.today()
    lapsed = 0
    for permit in ResidencePermit.objects.filter(status=ResidencePermit.Status.VALID, expiry_date__lt=today):
        _bump(ResidencePermit, permit, None, status=ResidencePermit.Status.EXPIRED)
        _audit(AuditAction.UPDATE, None, permit, changes={"status": "expired", "reason": "lapsed"})
        lapsed += 1
    return lapsed


# --- organisations ------------------------------------------------------------------------------

def clean_organisation(data: dict, *, partial: bool = False, report: ErrorReport | None = None,
                       row: int | None = None) -> dict:
    """Validate an organisation; ``report`` as in ``clean_house``."""
    out: dict = {}
    checks = {
        "uscc": lambda x: v.uscc(x),
        "name": lambda x: v.text(x, "name", max_length=128, required=True),
        "category": lambda x: v.code(x, "category", codes.ORG_CATEGORY, required=True),
        "grid_code": lambda x: v.grid(x),
        "address": lambda x: v.text(x, "address", max_length=200),
        "staff_count": lambda x: v.count(x, "staff_count"),
        "legal_rep_name": lambda x: v.name(x, "legal_rep_name", required=False),
        "phone": lambda x: v.phone(x),
        "lon": lambda x: v.coordinate(x, "lon", -180, 180),
        "lat": lambda x: v.coordinate(x, "lat", -90, 90),
    }
    for key, fn in checks.items():
        if partial and key not in data:
            continue
        try:
            out[key] = fn(data.get(key))
        except FieldError as exc:
            _problem(report, exc, row)
    return out


@transaction.atomic
def organisation_register(*, actor: User | None, data: dict, house_id: int | None = None) -> Organisation:
    cleaned = clean_organisation(data)
    house = _house_for_write(actor, house_id) if house_id is not None else None
    if house is not None:
        cleaned["grid_code"] = house.grid_code
        cleaned["address"] = cleaned["address"] or house.address
    else:
        cleaned["grid_code"] = _place_from_point(cleaned["grid_code"], cleaned["lon"], cleaned["lat"])
    _check_place(actor, cleaned["grid_code"])
    if cleaned["uscc"] and Organisation.objects.filter(uscc=cleaned["uscc"]).exists():
        raise Conflict("organisation exists", code="duplicate",
                       details=[ErrorDetail("uscc", "already registered", "duplicate")])
    org = Organisation.objects.create(**cleaned, house=house)
    _audit(AuditAction.CREATE, actor, org, changes={"name": org.name, "uscc": org.uscc or ""})
    return org


# --- rentals ----------------------------------------------------------------------------------

@transaction.atomic
def rental_register(*, actor: User | None, house_id: int, landlord_name: str, start_date, end_date=None,
                    landlord_doc_type: str = "111", landlord_doc_number: str = "", landlord_phone: str = "",
                    renting_use: str = "02", hidden_danger: str = "00",
                    tenant_ids: list[int] | None = None) -> RentalRegistration:
    house = _house_for_write(actor, house_id)
    start = v.parse_date(start_date, "start_date", required=True, not_future=False)
    end = v.parse_date(end_date, "end_date", not_future=False)
    if end is not None and end <= start:
        raise FieldError("end_date", "must be after the start date", code="bad_date")
    tenant_ids = sorted(set(tenant_ids or []))
    tenants = (list(Person.objects.filter(pk__in=tenant_ids)) if actor is None
               else list(selectors.persons_by_ids(actor, tenant_ids).values()))
    if len(tenants) != len(tenant_ids):
        missing = sorted(set(tenant_ids) - {t.pk for t in tenants})
        raise FieldError("tenant_ids", "unknown persons %(ids)s", code="unknown_person",
                         params={"ids": ", ".join(map(str, missing))})
    rental = RentalRegistration.objects.create(
        house=house, grid_code=house.grid_code, landlord_name=v.name(landlord_name, "landlord_name"),
        landlord_doc_type=v.code(landlord_doc_type, "landlord_doc_type", codes.DOC_TYPE) or "111",
        landlord_doc_number=_owner_doc(landlord_doc_number), landlord_phone=v.phone(landlord_phone,
                                                                                    "landlord_phone"),
        renting_use=v.code(renting_use, "renting_use", codes.RENTING_USE) or "02",
        hidden_danger=v.code(hidden_danger, "hidden_danger", codes.HIDDEN_DANGER) or "00",
        start_date=start, end_date=end)
    rental.tenants.set(tenants)
    if not house.rented:
        _bump(House, house, None, rented=True)
    _audit(AuditAction.CREATE, actor, rental, changes={"house": house.pk, "tenants": tenant_ids})
    return rental


# --- duplicate review -------------------------------------------------------------------------------

@transaction.atomic
def duplicate_dismiss(*, actor: User, candidate_id: int, version: int | None = None) -> DuplicateCandidate:
    c = selectors.duplicate_get(actor, candidate_id, capability=EDIT, purpose="write")
    if c.status != DuplicateCandidate.Status.OPEN:
        raise Conflict("the candidate is decided already", code="decided")
    _bump(DuplicateCandidate, c, version, status=DuplicateCandidate.Status.DISMISSED, decided_by=actor,
          decided_at=timezone.now())
    _audit(AuditAction.UPDATE, actor, c, changes={"status": "dismissed"})
    return c


@transaction.atomic
def duplicate_merge(*, actor: User, candidate_id: int, keep_id: int, version: int | None = None) -> dict:
    """Merge the pair: every row that refers to the dropped person (residences, permits, rentals,
    and other apps' records) moves to the kept one, blank fields of the kept one are filled from
    the dropped one, and the dropped person is deleted. Returns what moved."""
    c = selectors.duplicate_get(actor, candidate_id, capability=EDIT, purpose="write")
    if c.status != DuplicateCandidate.Status.OPEN or c.person_id is None or c.other_id is None:
        raise Conflict("the candidate is decided already", code="decided")
    preview = selectors.merge_preview(actor, candidate_id, keep_id=keep_id)
    keep = _person_for_write(actor, keep_id)
    drop = _person_for_write(actor, c.person_id if keep_id == c.other_id else c.other_id)
    # At most one current residence survives: the kept person's, else the dropped one's.
    if Residence.objects.filter(person=keep, end_date__isnull=True).exists():
        Residence.objects.filter(person=drop, end_date__isnull=True).update(end_date=date.today(),
                                                                            end_reason="merged")
    moved: dict[str, int] = {}
    try:
        with transaction.atomic():
            for rel in Person._meta.related_objects:
                model = rel.related_model
                if model is DuplicateCandidate:
                    continue
                if isinstance(rel, ManyToManyRel):
                    through = rel.through
                    assert through is not None  # resolved when the app registry is ready
                    src = rel.field.m2m_reverse_field_name()
                    owner = rel.field.m2m_field_name()
                    rows = list(through._default_manager.filter(**{src: drop}).values_list(f"{owner}_id", flat=True))
                    for owner_id in rows:
                        through._default_manager.get_or_create(**{f"{owner}_id": owner_id, src: keep})
                    through._default_manager.filter(**{src: drop}).delete()
                    n = len(rows)
                else:
                    n = model._base_manager.filter(**{rel.field.name: drop}).update(**{rel.field.name: keep})
                if n:
                    moved[f"{model._meta.label_lower}.{rel.field.name}"] = n
    except IntegrityError as exc:
        raise Conflict("cannot merge: a moved record conflicts with one of the kept person (%(why)s)",
                       code="merge_conflict", params={"why": str(exc)}) from None
    fills = {f: getattr(drop, f) for f in preview["fills"]}
    if "identity_number" in fills:
        fills.update(id_hmac=drop.id_hmac, id_last4=drop.id_last4, doc_type=codes.DOC_ID_CARD, doc_number="")
    drop_id = drop.pk
    DuplicateCandidate.objects.filter(Q(person=drop) | Q(other=drop), status=DuplicateCandidate.Status.OPEN) \
        .exclude(pk=c.pk).update(status=DuplicateCandidate.Status.DISMISSED, outcome={"merged_into": keep.pk})
    _bump(DuplicateCandidate, c, version, status=DuplicateCandidate.Status.MERGED, decided_by=actor,
          decided_at=timezone.now(), outcome={"kept": keep.pk, "dropped": drop_id, "moved": moved,
                                              "filled": sorted(fills)})
    drop.delete()
    if fills:
        Person.objects.filter(pk=keep.pk).update(version=F("version") + 1, **fills)
    current = Residence.objects.filter(person=keep, end_date__isnull=True).select_related("house").first()
    if current is not None and keep.house_id != current.house_id:
        Person.objects.filter(pk=keep.pk).update(house=current.house, grid_code=current.grid_code,
                                                 status=Person.Status.ACTIVE, import_hash="")
    _audit(AuditAction.UPDATE, actor, keep, changes={"merged": drop_id, "moved": moved,
                                                     "filled": sorted(fills)})
    return {"kept": keep.pk, "dropped": drop_id, "moved": moved, "filled": sorted(fills)}


def blind_index_rebuild(*, actor: User | None = None, check_only: bool = False, progress=None) -> dict:
    """Recompute every person's blind index (``id_hmac``) with the current key — after
    ``GRIDGOV_BLIND_INDEX_KEY`` is set or changed. ``check_only`` counts the rows whose index does not
    match the key and writes nothing. One transaction: all rows or none; audited."""
    from django.db import connection

    from gridgov.registry.identity import blind_key

    if actor is not None:
        require_capability(actor, "accounts.manage")
    key = blind_key()
    qn = connection.ops.quote_name
    table = Person._meta.db_table
    update = f"UPDATE {qn(table)} SET {qn('id_hmac')} = %s WHERE {qn('id')} = %s"
    total = Person.objects.exclude(identity_number=None).exclude(identity_number="").count()
    seen = stale = 0
    with transaction.atomic():
        last = 0
        while True:
            chunk = list(Person.objects.filter(pk__gt=last).exclude(identity_number=None).exclude(identity_number="")
                         .order_by("pk").values_list("pk", "identity_number", "id_hmac")[:5000])
            if not chunk:
                break
            last = chunk[-1][0]
            changed = [(fresh, pk) for pk, number, old in chunk if (fresh := blind_index(number, key)) != old]
            seen += len(chunk)
            stale += len(changed)
            if changed and not check_only:
                with connection.cursor() as cur:
                    cur.executemany(update, changed)
            if progress:
                progress("persons", seen, total)
        if not check_only:
            audit_write(AuditAction.UPDATE, actor=actor, object_type="registry.person.id_hmac", object_id="*",
                        changes={"rows": seen, "reindexed": stale})
    return {"rows": seen, "stale": stale, "written": 0 if check_only else stale}
