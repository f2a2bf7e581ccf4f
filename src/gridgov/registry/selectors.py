"""Every read of the register. First argument: the acting user; scoping is always applied
(``registry.view`` at the row's ``grid_code``). Other apps read persons only through
``person_get``, ``person_brief`` and ``persons_by_ids``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from gridgov.accounts.models import User
from gridgov.accounts.scope import Purpose, scoped
from gridgov.core.audit import audit_write
from gridgov.core.errors import Conflict, FieldError, NotFound
from gridgov.core.masking import mask_identity_number, mask_phone
from gridgov.core.models import AuditAction
from gridgov.registry import codes
from gridgov.registry.identity import blind_index, blind_key, masked_document
from gridgov.registry.identity import person_brief as _brief
from gridgov.registry.models import (
    DuplicateCandidate,
    House,
    ImportJob,
    Organisation,
    Person,
    RentalRegistration,
    Residence,
    ResidencePermit,
)

VIEW = "registry.view"
EDIT = "registry.edit"
REVEAL = "registry.reveal"
MAX_LIMIT = 100


def _scoped(qs: QuerySet, user: User, capability: str = VIEW, purpose: Purpose = "read") -> QuerySet:
    return scoped(qs, user, field="grid_code", capability=capability, purpose=purpose)


# --- persons ----------------------------------------------------------------------------------

def persons_visible(user: User, *, capability: str = VIEW, purpose: Purpose = "read") -> QuerySet[Person]:
    return _scoped(Person.objects.all(), user, capability, purpose)


def population_by_area(user: User, *, length: int) -> dict[str, tuple[int, int]]:
    """Residents living here per area prefix of ``length`` digits: ``{prefix: (residents, migrants)}``
    (migrants: population type 来沪/流动人口). Counts only, scoped like every read of persons."""
    out: dict[str, list[int]] = {}
    rows = (persons_visible(user).filter(status=Person.Status.ACTIVE).order_by()
            .annotate(area=Substr("grid_code", 1, length)).values_list("area", "population_type")
            .annotate(n=Count("id")))
    for area, kind, n in rows:
        counts = out.setdefault(area, [0, 0])
        counts[0] += n
        if kind == codes.POP_FLOATING:
            counts[1] += n
    return {area: (c[0], c[1]) for area, c in out.items()}


def person_get(user: User, person_id: int, *, capability: str = VIEW, purpose: Purpose = "read") -> Person:
    """The person if ``user`` may see them; ``NotFound`` (404) when absent or outside."""
    person = persons_visible(user, capability=capability, purpose=purpose).filter(pk=person_id).first()
    if person is None:
        raise NotFound("person not found")
    return person


def person_brief(person: Person) -> dict:
    """Masked display fields: id, name, sex, birth year, masked document and phone, population type,
    status, grid code, house id. Never a full identity or phone number."""
    return _brief(person)


def persons_by_ids(user: User, ids: Iterable[int]) -> dict[int, Person]:
    """The visible ones among ``ids`` as {id: Person}; invisible or absent ids are left out."""
    ids = list({int(i) for i in ids})
    out: dict[int, Person] = {}
    for start in range(0, len(ids), 500):
        for p in persons_visible(user).filter(pk__in=ids[start:start + 500]):
            out[p.pk] = p
    return out


def _classify_query(q: str) -> Q:
    """Free text: 18/15 characters -> identity number (blind index); 4 digits (or 3 + X) -> last
    four; 11 digits from 1 -> mobile; other digits -> phone; a name (``张*`` for a prefix)."""
    q = q.strip()
    upper = q.upper()
    if len(upper) in (15, 18) and upper[:-1].isdigit() and (upper[-1].isdigit() or upper[-1] == "X"):
        from gridgov.core.idnumber import validate_identity_number

        try:
            number = validate_identity_number(upper)
        except FieldError:
            return Q(pk__in=[])
        return Q(id_hmac=blind_index(number))
    if len(upper) == 4 and upper[:3].isdigit() and (upper[3].isdigit() or upper[3] == "X"):
        return Q(id_last4=upper)
    if q.isdigit() or (q.startswith("0") and q.replace("-", "").isdigit()):
        return Q(phone=q)
    if q.endswith("*") and len(q) > 1:
        return Q(name__startswith=q[:-1])
    return Q(name=q)


def identity_token(q: str) -> str:
    """The blind index of ``q`` when it is a valid full identity number, else ''."""
    upper = (q or "").strip().upper()
    if len(upper) not in (15, 18) or not upper[:-1].isdigit():
        return ""
    from gridgov.core.idnumber import validate_identity_number

    try:
        index = blind_index(validate_identity_number(upper))
    except FieldError:
        return ""
    assert index is not None  # a valid number is not empty
    digest = bytes.fromhex(index)
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def is_phone_query(q: str) -> bool:
    """Whether free text ``q`` is searched as a phone number (7 digits or more; ``_classify_query``)."""
    q = (q or "").strip()
    digits = q.replace("-", "")
    return digits.isdigit() and len(digits) >= 7 and (q.isdigit() or q.startswith("0")) \
        and not identity_token(q)


def phone_token(phone: str) -> str:
    """A keyed hash of a phone number for a URL (HMAC-SHA256 with the blind-index key, 128 bits,
    URL-safe base64): the number itself is never in it and cannot be read back from it."""
    digest = hmac.new(blind_key(), b"phone:" + phone.strip().encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _token_index(token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return "-"
    return raw.hex() if len(raw) == 32 else "-"


def person_search(user: User, *, q: str = "", name: str = "", last4: str = "", phone: str = "",
                  address: str = "", house_code: str = "", grid_code: str = "", status: str = "",
                  population_type: str = "", id_index: str = "") -> QuerySet[Person]:
    qs = persons_visible(user)
    if id_index:
        qs = qs.filter(id_hmac=_token_index(id_index))
    if q:
        if len(q) > 64:
            raise FieldError("q", "at most 64 characters")
        qs = qs.filter(_classify_query(q))
    if name:
        qs = qs.filter(name__startswith=name[:-1]) if name.endswith("*") else qs.filter(name=name)
    if last4:
        last4 = last4.strip().upper()
        if len(last4) != 4:
            raise FieldError("last4", "exactly 4 characters (digits or X)")
        qs = qs.filter(id_last4=last4)
    if phone:
        qs = qs.filter(phone=phone.strip())
    if house_code:
        qs = qs.filter(house__house_code=house_code.strip())
    if address:
        qs = qs.filter(house__address__contains=address.strip())
    if grid_code:
        qs = qs.filter(grid_code__startswith=grid_code.strip())
    if status:
        qs = qs.filter(status=status)
    if population_type:
        qs = qs.filter(population_type=population_type)
    return qs.order_by("id")


def person_rows(persons: Iterable[Person]) -> list[dict]:
    """Briefs for a page of persons, with their house address (one query for all houses)."""
    persons = list(persons)
    houses = {h.pk: h for h in House.objects.filter(pk__in={p.house_id for p in persons if p.house_id})}
    out = []
    for p in persons:
        row = _brief(p)
        h = houses.get(p.house_id) if p.house_id is not None else None
        row["house_code"] = h.house_code if h else ""
        row["address"] = h.address if h else ""
        out.append(row)
    return out


def _residence_row(r: Residence) -> dict:
    return {"id": r.id, "house_id": r.house_id, "house_code": r.house.house_code, "address": r.house.address,
            "grid_code": r.grid_code, "start_date": r.start_date, "end_date": r.end_date,
            "relation": r.relation, "relation_label": codes.label(codes.RELATION, r.relation),
            "domicile_type": r.domicile_type, "domicile_type_label": codes.label(codes.DOMICILE_TYPE,
                                                                                 r.domicile_type),
            "inflow_reason": r.inflow_reason, "inflow_reason_label": codes.label(codes.INFLOW_REASON,
                                                                                 r.inflow_reason),
            "end_reason": r.end_reason}


#: a valid permit this close to its expiry is due for renewal (the desk's reminders, 30 days)
RENEWAL_DAYS = 30


def _permit_row(p: ResidencePermit) -> dict:
    renewal_due = (p.status == ResidencePermit.Status.VALID
                   and p.expiry_date <= date.today() + timedelta(days=RENEWAL_DAYS))
    return {"id": p.id, "number_masked": mask_identity_number(p.number), "cert_type": p.cert_type,
            "renewal_due": renewal_due,
            "issue_date": p.issue_date, "expiry_date": p.expiry_date, "status": p.status,
            "condition": p.condition, "condition_label": codes.label(codes.PERMIT_CONDITION, p.condition)}


def person_detail(user: User, person_id: int) -> dict:
    """Everything about a person, masked; the read is audited (READ)."""
    p = person_get(user, person_id)
    residences = list(p.residences.select_related("house").order_by("-start_date", "-id"))
    permits = list(p.permits.order_by("-expiry_date"))
    audit_write(AuditAction.READ, actor=user, object_type="registry.person", object_id=p.pk,
                jurisdiction=p.grid_code)
    return {
        **_brief(p),
        "former_name": p.former_name,
        "birth_date": p.birth_date,
        "ethnicity": p.ethnicity, "ethnicity_label": codes.label(codes.ETHNICITY, p.ethnicity),
        "nationality": p.nationality,
        "hukou_division": p.hukou_division,
        "hukou_address": p.hukou_address,
        "household_separated": p.household_separated,
        "uniform_identity": p.uniform_identity,
        "empty_registration": p.empty_registration,
        "has_identity_number": bool(p.identity_number),
        "version": p.version,
        "residences": [_residence_row(r) for r in residences],
        "permits": [_permit_row(x) for x in permits],
    }


# --- houses -----------------------------------------------------------------------------------

def houses_visible(user: User, *, capability: str = VIEW, purpose: Purpose = "read") -> QuerySet[House]:
    return _scoped(House.objects.all(), user, capability, purpose)


def house_get(user: User, house_id: int, *, capability: str = VIEW, purpose: Purpose = "read") -> House:
    house = houses_visible(user, capability=capability, purpose=purpose).filter(pk=house_id).first()
    if house is None:
        raise NotFound("house not found")
    return house


def house_search(user: User, *, q: str = "", grid_code: str = "", rented: bool | None = None) -> QuerySet[House]:
    qs = houses_visible(user)
    q = (q or "").strip()
    if len(q) > 100:
        raise FieldError("q", "at most 100 characters")
    if q:
        qs = qs.filter(Q(house_code=q) | Q(address__contains=q))
    if grid_code:
        qs = qs.filter(grid_code__startswith=grid_code)
    if rented is not None:
        qs = qs.filter(rented=rented)
    return qs.order_by("house_code")


def house_brief(h: House) -> dict:
    return {"id": h.pk, "house_code": h.house_code, "address": h.address, "grid_code": h.grid_code,
            "building_use": h.building_use, "building_use_label": codes.label(codes.BUILDING_USE, h.building_use),
            "rented": h.rented, "lon": h.lon, "lat": h.lat}


def house_detail(user: User, house_id: int) -> dict:
    """The house, its residents now and before (masked). A resident who has since moved to a place
    outside the caller's jurisdiction still shows here by the masked brief of this stay."""
    h = house_get(user, house_id)
    stays = list(Residence.objects.filter(house=h).select_related("person").order_by("-start_date", "-id"))

    def stay(r: Residence) -> dict:
        return {**_brief(r.person), "residence_id": r.id, "start_date": r.start_date, "end_date": r.end_date,
                "relation": r.relation, "relation_label": codes.label(codes.RELATION, r.relation),
                "grid_code": r.grid_code, "end_reason": r.end_reason}

    rentals = list(h.rentals.order_by("-start_date"))
    orgs = list(h.organisations.order_by("name"))
    return {
        **house_brief(h),
        "area_m2": h.area_m2,
        "owner_name": h.owner_name,
        "owner_document_masked": mask_identity_number(h.owner_doc_number),
        "owner_phone_masked": mask_phone(h.owner_phone),
        "version": h.version,
        "residents_now": [stay(r) for r in stays if r.end_date is None],
        "residents_before": [stay(r) for r in stays if r.end_date is not None],
        "rentals": [rental_brief(r) for r in rentals],
        "organisations": [organisation_brief(o) for o in orgs],
    }


def rental_brief(r: RentalRegistration) -> dict:
    return {"id": r.pk, "house_id": r.house_id, "landlord_name": r.landlord_name,
            "landlord_document_masked": mask_identity_number(r.landlord_doc_number),
            "landlord_phone_masked": mask_phone(r.landlord_phone),
            "renting_use": r.renting_use, "renting_use_label": codes.label(codes.RENTING_USE, r.renting_use),
            "hidden_danger": r.hidden_danger, "start_date": r.start_date, "end_date": r.end_date,
            "tenant_ids": sorted(t.pk for t in r.tenants.all())}


# --- organisations ------------------------------------------------------------------------------

def organisations_visible(user: User, *, capability: str = VIEW, purpose: Purpose = "read") -> QuerySet[Organisation]:
    return _scoped(Organisation.objects.all(), user, capability, purpose)


def organisation_get(user: User, org_id: int, *, capability: str = VIEW, purpose: Purpose = "read") -> Organisation:
    org = organisations_visible(user, capability=capability, purpose=purpose).filter(pk=org_id).first()
    if org is None:
        raise NotFound("organisation not found")
    return org


def organisation_search(user: User, *, q: str = "", grid_code: str = "", category: str = "") -> QuerySet[Organisation]:
    qs = organisations_visible(user)
    q = (q or "").strip()
    if len(q) > 100:
        raise FieldError("q", "at most 100 characters")
    if q:
        qs = qs.filter(Q(uscc=q.upper()) | Q(name__contains=q))
    if grid_code:
        qs = qs.filter(grid_code__startswith=grid_code)
    if category:
        qs = qs.filter(category=category)
    return qs.order_by("name", "id")


def organisation_brief(o: Organisation) -> dict:
    return {"id": o.pk, "uscc": o.uscc or "", "name": o.name, "category": o.category,
            "category_label": codes.label(codes.ORG_CATEGORY, o.category), "grid_code": o.grid_code,
            "address": o.address, "staff_count": o.staff_count, "house_id": o.house_id}


def organisation_detail(user: User, org_id: int) -> dict:
    o = organisation_get(user, org_id)
    return {**organisation_brief(o), "legal_rep_name": o.legal_rep_name, "phone_masked": mask_phone(o.phone),
            "lon": o.lon, "lat": o.lat, "version": o.version}


# --- permits, duplicates, imports -----------------------------------------------------------------

def permits_expiring(user: User, *, within_days: int = 30, today: date | None = None) -> QuerySet[ResidencePermit]:
    """Worklist: valid permits expiring within ``within_days`` (default 30), soonest first."""
    if not 0 <= within_days <= 366:
        raise FieldError("within_days", "0-366")
    today = today or date.today()
    return (_scoped(ResidencePermit.objects.all(), user)
            .filter(status=ResidencePermit.Status.VALID, expiry_date__gte=today,
                    expiry_date__lte=today + timedelta(days=within_days))
            .select_related("person").order_by("expiry_date", "id"))


def permit_row(p: ResidencePermit) -> dict:
    return {**_permit_row(p), "person": _brief(p.person), "grid_code": p.grid_code}


def duplicates_open(user: User) -> QuerySet[DuplicateCandidate]:
    return (_scoped(DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN), user)
            .select_related("person", "other").order_by("-created_at", "-id"))


def duplicate_get(user: User, candidate_id: int, *, capability: str = VIEW, purpose: Purpose = "read") -> DuplicateCandidate:
    c = (_scoped(DuplicateCandidate.objects.select_related("person", "other"), user, capability, purpose)
         .filter(pk=candidate_id).first())
    if c is None:
        raise NotFound("duplicate candidate not found")
    return c


def duplicate_row(c: DuplicateCandidate) -> dict:
    return {"id": c.pk, "reason": c.reason, "status": c.status, "grid_code": c.grid_code,
            "person": _brief(c.person), "other": _brief(c.other), "version": c.version,
            "created_at": c.created_at}


def merge_preview(user: User, candidate_id: int, *, keep_id: int | None = None) -> dict:
    """What a merge would move: the rows pointing at the person that disappears, per relation."""
    c = duplicate_get(user, candidate_id)
    keep_id = keep_id or c.other_id
    if keep_id not in (c.person_id, c.other_id):
        raise FieldError("keep_id", "must be one of the two persons of the candidate")
    drop = c.person if keep_id == c.other_id else c.other
    keep = c.other if keep_id == c.other_id else c.person
    if drop is None or keep is None:  # a merge deleted one of them
        raise Conflict("the candidate is decided already", code="decided")
    moves = related_counts(drop)
    fills = [f for f in ("former_name", "ethnicity", "phone", "hukou_division", "hukou_address")
             if not getattr(keep, f) and getattr(drop, f)]
    if not keep.identity_number and drop.identity_number:
        fills.append("identity_number")
    return {"keep": _brief(keep), "drop": _brief(drop), "moves": moves, "fills": fills}


def related_counts(person: Person) -> dict[str, int]:
    """Rows of every model (this app's and others') that refer to ``person``, by 'app.model.field'."""
    out: dict[str, int] = {}
    for rel in Person._meta.related_objects:
        if rel.related_model is DuplicateCandidate:
            continue
        if rel.many_to_many:
            accessor = rel.get_accessor_name()
            assert accessor is not None  # related_objects lists no hidden relation
            n = getattr(person, accessor).count()
        elif rel.one_to_many or rel.one_to_one:
            n = rel.related_model._base_manager.filter(**{rel.field.name: person}).count()
        else:
            continue
        if n:
            out[f"{rel.related_model._meta.label_lower}.{rel.field.name}"] = n
    return out


def import_job_get(user: User, job_id: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=job_id, actor=user).first() if user and user.is_authenticated else None
    if job is None:
        raise NotFound("import not found")
    return job


def import_jobs(user: User) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(actor=user).order_by("-created_at", "-id")


__all__ = ["person_get", "person_brief", "persons_by_ids", "person_search", "person_detail", "masked_document"]
