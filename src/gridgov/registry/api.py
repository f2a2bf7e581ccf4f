"""The register's REST API (/api/v1/registry/): thin — parse, call one service or selector, render.

Responses carry masked identity and phone numbers only; ``POST /persons/{id}/reveal`` is the one
call that returns a full number (capability registry.reveal + a reason, audited).
"""

from __future__ import annotations

from datetime import date

from django.http import HttpResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gridgov.accounts import stepup
from gridgov.accounts.scope import has_capability, require_capability
from gridgov.core.errors import FieldError
from gridgov.core.pagination import MAX_OFFSET
from gridgov.registry import exports, imports, jobs, selectors, services

router = Router(tags=["registry"])
MAX_LIMIT = selectors.MAX_LIMIT


class Page(Schema):
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def _page(qs, page: Page, rows) -> dict:
    items = list(qs[page.offset:page.offset + page.limit + 1])
    more = len(items) > page.limit
    return {"items": rows(items[:page.limit]), "limit": page.limit, "offset": page.offset, "more": more}


# --- schemas ----------------------------------------------------------------------------------

class PersonBrief(Schema):
    id: int
    name: str
    sex: str
    sex_label: str
    birth_year: int | None
    document_type: str
    document_masked: str
    phone_masked: str
    population_type: str
    population_type_label: str
    status: str
    grid_code: str
    house_id: int | None
    house_code: str = ""
    address: str = ""


class PersonPage(Schema):
    items: list[PersonBrief]
    limit: int
    offset: int
    more: bool


class ResidenceOut(Schema):
    id: int
    house_id: int
    house_code: str
    address: str
    grid_code: str
    start_date: date
    end_date: date | None
    relation: str
    relation_label: str
    domicile_type: str
    domicile_type_label: str
    inflow_reason: str
    inflow_reason_label: str
    end_reason: str


class PermitOut(Schema):
    id: int
    number_masked: str
    cert_type: str
    issue_date: date
    expiry_date: date
    status: str
    condition: str
    condition_label: str


class PersonDetail(PersonBrief):
    former_name: str
    birth_date: date | None
    ethnicity: str
    ethnicity_label: str
    nationality: str
    hukou_division: str
    hukou_address: str
    household_separated: bool
    uniform_identity: str
    empty_registration: bool
    has_identity_number: bool
    version: int
    residences: list[ResidenceOut]
    permits: list[PermitOut]


class PersonIn(Schema):
    model_config = {"extra": "forbid"}
    identity_number: str | None = Field(None, max_length=18)
    doc_type: str | None = Field(None, max_length=3)
    doc_number: str | None = Field(None, max_length=32)
    name: str = Field(..., max_length=64)
    former_name: str | None = Field(None, max_length=64)
    sex: str | None = Field(None, max_length=8)
    birth_date: str | None = Field(None, max_length=10)
    ethnicity: str | None = Field(None, max_length=8)
    nationality: str | None = Field(None, max_length=2)
    hukou_division: str | None = Field(None, max_length=12)
    hukou_address: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=32)
    population_type: str = Field(..., max_length=8)


class RegisterIn(PersonIn):
    house_id: int | None = None
    grid_code: str | None = Field(None, max_length=15)
    relation: str | None = Field(None, max_length=2)
    domicile_type: str | None = Field(None, max_length=2)
    inflow_reason: str | None = Field(None, max_length=2)
    moved_in: str | None = Field(None, max_length=10)


class PersonPatch(Schema):
    model_config = {"extra": "forbid"}
    version: int
    identity_number: str | None = Field(None, max_length=18)
    name: str | None = Field(None, max_length=64)
    former_name: str | None = Field(None, max_length=64)
    sex: str | None = Field(None, max_length=8)
    birth_date: str | None = Field(None, max_length=10)
    ethnicity: str | None = Field(None, max_length=8)
    nationality: str | None = Field(None, max_length=2)
    hukou_division: str | None = Field(None, max_length=12)
    hukou_address: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=32)
    population_type: str | None = Field(None, max_length=8)


class Registered(Schema):
    person: PersonBrief
    duplicate_candidates: list[int]


class MoveIn(Schema):
    model_config = {"extra": "forbid"}
    house_id: int
    moved_in: str | None = Field(None, max_length=10)
    relation: str | None = Field(None, max_length=2)
    domicile_type: str | None = Field(None, max_length=2)
    inflow_reason: str | None = Field(None, max_length=2)
    version: int | None = None


class MoveOut(Schema):
    model_config = {"extra": "forbid"}
    moved_out: str | None = Field(None, max_length=10)
    reason: str | None = Field(None, max_length=64)
    version: int | None = None


class FlagsIn(Schema):
    model_config = {"extra": "forbid"}
    empty_registration: bool
    version: int | None = None


class RevealIn(Schema):
    model_config = {"extra": "forbid"}
    reason: str = Field(..., max_length=500)


class RevealOut(Schema):
    id: int
    number: str


class PermitIn(Schema):
    model_config = {"extra": "forbid"}
    number: str = Field(..., max_length=32)
    issue_date: str = Field(..., max_length=10)
    expiry_date: str = Field(..., max_length=10)
    condition: str = Field(..., max_length=10)
    cert_type: str = Field("01", max_length=2)


class PersonQuery(Schema):
    q: str = Field("", max_length=64)
    name: str = Field("", max_length=64)
    last4: str = Field("", max_length=4)
    phone: str = Field("", max_length=32)
    address: str = Field("", max_length=100)
    house_code: str = Field("", max_length=32)
    grid_code: str = Field("", max_length=15, pattern=r"^\d*$")
    status: str = Field("", max_length=10)
    population_type: str = Field("", max_length=2)


def _brief_one(person) -> dict:
    return selectors.person_rows([person])[0]


# --- persons ----------------------------------------------------------------------------------

@router.get("/persons", response=PersonPage, summary="Search persons (masked)")
def person_list(request, filters: Query[PersonQuery], page: Query[Page]):
    qs = selectors.person_search(request.user, **filters.dict())
    return _page(qs, page, selectors.person_rows)


@router.post("/persons", response={201: Registered}, summary="Register a resident at a house or in a grid")
def person_register(request, payload: RegisterIn):
    data = payload.dict()
    stay = {k: data.pop(k) or "" for k in ("relation", "domicile_type", "inflow_reason")}
    house_id, grid_code, moved_in = data.pop("house_id"), data.pop("grid_code") or "", data.pop("moved_in")
    reg = services.person_register(actor=request.user, data=data, house_id=house_id, grid_code=grid_code,
                                   moved_in=moved_in, **stay)
    return 201, {"person": _brief_one(reg.person), "duplicate_candidates": [d.pk for d in reg.duplicates]}


@router.get("/persons/export.xlsx", summary="Export the search result to Excel (masked, at most 100,000 rows)")
def person_export(request, filters: Query[PersonQuery]):
    stepup.require_recent(request)  # resident data: the password or a code again after 15 minutes
    return exports.persons_xlsx(request.user, filters.dict())


@router.get("/persons/{person_id}", response=PersonDetail, summary="Person detail (masked; the read is audited)")
def person_detail(request, person_id: int):
    data = selectors.person_detail(request.user, person_id)
    h = data["residences"][0] if data["residences"] and data["residences"][0]["end_date"] is None else None
    return {**data, "house_code": h["house_code"] if h else "", "address": h["address"] if h else ""}


@router.patch("/persons/{person_id}", response=PersonBrief)
def person_update(request, person_id: int, payload: PersonPatch):
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    return _brief_one(services.person_update(actor=request.user, person_id=person_id, data=data, version=version))


@router.post("/persons/{person_id}/move-in", response=ResidenceOut, summary="Move in (a transfer when living elsewhere)")
def person_move_in(request, person_id: int, payload: MoveIn):
    d = payload.dict()
    r = services.person_move_in(actor=request.user, person_id=person_id, house_id=d["house_id"],
                                moved_in=d["moved_in"], relation=d["relation"] or "",
                                domicile_type=d["domicile_type"] or "", inflow_reason=d["inflow_reason"] or "",
                                version=d["version"])
    return selectors._residence_row(r)


@router.post("/persons/{person_id}/move-out", response=PersonBrief)
def person_move_out(request, person_id: int, payload: MoveOut):
    p = services.person_move_out(actor=request.user, person_id=person_id, moved_out=payload.moved_out,
                                 reason=payload.reason or "", version=payload.version)
    return _brief_one(p)


@router.post("/persons/{person_id}/flags", response=PersonBrief, summary="Set the empty-registration (空挂户) flag")
def person_flags(request, person_id: int, payload: FlagsIn):
    p = services.person_set_flags(actor=request.user, person_id=person_id,
                                  empty_registration=payload.empty_registration, version=payload.version)
    return _brief_one(p)


@router.post("/persons/{person_id}/reveal", response=RevealOut,
             summary="Reveal the full identity number (registry.reveal + reason; audited)")
def person_reveal(request, person_id: int, payload: RevealIn):
    if has_capability(request.user, "registry.reveal"):  # without it: the audited refusal, unchanged
        stepup.require_recent(request)
    number = services.person_reveal(actor=request.user, person_id=person_id, reason=payload.reason)
    return {"id": person_id, "number": number}


@router.post("/persons/{person_id}/permits", response={201: PermitOut}, summary="Record a residence permit (居住证)")
def permit_issue(request, person_id: int, payload: PermitIn):
    p = services.permit_issue(actor=request.user, person_id=person_id, **payload.dict())
    return 201, selectors._permit_row(p)


class ExpiringOut(PermitOut):
    person: PersonBrief
    grid_code: str


class ExpiringPage(Schema):
    items: list[ExpiringOut]
    limit: int
    offset: int
    more: bool


@router.get("/permits/expiring", response=ExpiringPage, summary="Worklist: permits expiring within N days")
def permits_expiring(request, page: Query[Page], within_days: int = Query(30, ge=0, le=366)):
    qs = selectors.permits_expiring(request.user, within_days=within_days)
    return _page(qs, page, lambda items: [selectors.permit_row(p) for p in items])


# --- houses -----------------------------------------------------------------------------------

class HouseBrief(Schema):
    id: int
    house_code: str
    address: str
    grid_code: str
    building_use: str
    building_use_label: str
    rented: bool
    lon: float | None
    lat: float | None


class HousePage(Schema):
    items: list[HouseBrief]
    limit: int
    offset: int
    more: bool


class Stay(PersonBrief):
    residence_id: int
    start_date: date
    end_date: date | None
    relation: str
    relation_label: str
    end_reason: str


class RentalOut(Schema):
    id: int
    house_id: int
    landlord_name: str
    landlord_document_masked: str
    landlord_phone_masked: str
    renting_use: str
    renting_use_label: str
    hidden_danger: str
    start_date: date
    end_date: date | None
    tenant_ids: list[int]


class OrgBrief(Schema):
    id: int
    uscc: str
    name: str
    category: str
    category_label: str
    grid_code: str
    address: str
    staff_count: int
    house_id: int | None


class HouseDetail(HouseBrief):
    area_m2: float | None
    owner_name: str
    owner_document_masked: str
    owner_phone_masked: str
    version: int
    residents_now: list[Stay]
    residents_before: list[Stay]
    rentals: list[RentalOut]
    organisations: list[OrgBrief]


class HouseIn(Schema):
    model_config = {"extra": "forbid"}
    house_code: str = Field(..., max_length=32)
    address: str = Field(..., max_length=200)
    grid_code: str | None = Field(None, max_length=15)
    lon: float | None = None
    lat: float | None = None
    building_use: str | None = Field(None, max_length=8)
    area_m2: float | None = None
    rented: bool = False
    owner_name: str | None = Field(None, max_length=64)
    owner_doc_type: str | None = Field(None, max_length=3)
    owner_doc_number: str | None = Field(None, max_length=32)
    owner_phone: str | None = Field(None, max_length=32)


class HousePatch(Schema):
    model_config = {"extra": "forbid"}
    version: int
    address: str | None = Field(None, max_length=200)
    grid_code: str | None = Field(None, max_length=15)
    lon: float | None = None
    lat: float | None = None
    building_use: str | None = Field(None, max_length=8)
    area_m2: float | None = None
    rented: bool | None = None
    owner_name: str | None = Field(None, max_length=64)
    owner_doc_type: str | None = Field(None, max_length=3)
    owner_doc_number: str | None = Field(None, max_length=32)
    owner_phone: str | None = Field(None, max_length=32)


@router.get("/houses", response=HousePage)
def house_list(request, page: Query[Page], q: str = Query("", max_length=100),
               grid_code: str = Query("", max_length=15, pattern=r"^\d*$"), rented: bool | None = None):
    qs = selectors.house_search(request.user, q=q, grid_code=grid_code, rented=rented)
    return _page(qs, page, lambda items: [selectors.house_brief(h) for h in items])


@router.post("/houses", response={201: HouseBrief}, summary="Register a house (grid from the point when given)")
def house_register(request, payload: HouseIn):
    return 201, selectors.house_brief(services.house_register(actor=request.user, data=payload.dict()))


@router.get("/houses/export.xlsx")
def house_export(request, q: str = Query("", max_length=100),
                 grid_code: str = Query("", max_length=15, pattern=r"^\d*$")):
    return exports.houses_xlsx(request.user, {"q": q, "grid_code": grid_code})


@router.get("/houses/{house_id}", response=HouseDetail, summary="A house with its residents now and before")
def house_detail(request, house_id: int):
    return selectors.house_detail(request.user, house_id)


@router.patch("/houses/{house_id}", response=HouseBrief)
def house_update(request, house_id: int, payload: HousePatch):
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    return selectors.house_brief(services.house_update(actor=request.user, house_id=house_id, data=data,
                                                       version=version))


class RentalIn(Schema):
    model_config = {"extra": "forbid"}
    landlord_name: str = Field(..., max_length=64)
    landlord_doc_type: str = Field("111", max_length=3)
    landlord_doc_number: str = Field("", max_length=32)
    landlord_phone: str = Field("", max_length=32)
    renting_use: str = Field("02", max_length=2)
    hidden_danger: str = Field("00", max_length=2)
    start_date: str = Field(..., max_length=10)
    end_date: str | None = Field(None, max_length=10)
    tenant_ids: list[int] = Field(default_factory=list, max_length=200)


@router.post("/houses/{house_id}/rentals", response={201: RentalOut}, summary="Register a rental (出租房屋)")
def rental_register(request, house_id: int, payload: RentalIn):
    r = services.rental_register(actor=request.user, house_id=house_id, **payload.dict())
    return 201, selectors.rental_brief(r)


# --- organisations ------------------------------------------------------------------------------

class OrgDetail(OrgBrief):
    legal_rep_name: str
    phone_masked: str
    lon: float | None
    lat: float | None
    version: int


class OrgPage(Schema):
    items: list[OrgBrief]
    limit: int
    offset: int
    more: bool


class OrgIn(Schema):
    model_config = {"extra": "forbid"}
    uscc: str | None = Field(None, max_length=18)
    name: str = Field(..., max_length=128)
    category: str = Field(..., max_length=8)
    grid_code: str | None = Field(None, max_length=15)
    house_id: int | None = None
    address: str | None = Field(None, max_length=200)
    staff_count: int = Field(0, ge=0, le=10_000_000)
    legal_rep_name: str | None = Field(None, max_length=64)
    phone: str | None = Field(None, max_length=32)
    lon: float | None = None
    lat: float | None = None


@router.get("/organisations", response=OrgPage)
def organisation_list(request, page: Query[Page], q: str = Query("", max_length=100),
                      grid_code: str = Query("", max_length=15, pattern=r"^\d*$"),
                      category: str = Query("", max_length=3)):
    qs = selectors.organisation_search(request.user, q=q, grid_code=grid_code, category=category)
    return _page(qs, page, lambda items: [selectors.organisation_brief(o) for o in items])


@router.post("/organisations", response={201: OrgBrief})
def organisation_register(request, payload: OrgIn):
    data = payload.dict()
    house_id = data.pop("house_id")
    org = services.organisation_register(actor=request.user, data=data, house_id=house_id)
    return 201, selectors.organisation_brief(org)


@router.get("/organisations/export.xlsx")
def organisation_export(request, q: str = Query("", max_length=100),
                        grid_code: str = Query("", max_length=15, pattern=r"^\d*$")):
    return exports.organisations_xlsx(request.user, {"q": q, "grid_code": grid_code})


@router.get("/organisations/{org_id}", response=OrgDetail)
def organisation_detail(request, org_id: int):
    return selectors.organisation_detail(request.user, org_id)


# --- duplicate review -------------------------------------------------------------------------------

class DuplicateOut(Schema):
    id: int
    reason: str
    status: str
    grid_code: str
    person: PersonBrief
    other: PersonBrief
    version: int


class DuplicatePage(Schema):
    items: list[DuplicateOut]
    limit: int
    offset: int
    more: bool


class MergePreview(Schema):
    keep: PersonBrief
    drop: PersonBrief
    moves: dict[str, int]
    fills: list[str]


class MergeIn(Schema):
    model_config = {"extra": "forbid"}
    keep_id: int
    version: int | None = None


class MergeOut(Schema):
    kept: int
    dropped: int
    moved: dict[str, int]
    filled: list[str]


class DecideIn(Schema):
    model_config = {"extra": "forbid"}
    version: int | None = None


@router.get("/duplicates", response=DuplicatePage, summary="Open duplicate candidates (review queue)")
def duplicate_list(request, page: Query[Page]):
    return _page(selectors.duplicates_open(request.user), page,
                 lambda items: [selectors.duplicate_row(c) for c in items])


@router.get("/duplicates/{candidate_id}/preview", response=MergePreview, summary="What a merge would move")
def duplicate_preview(request, candidate_id: int, keep_id: int | None = None):
    return selectors.merge_preview(request.user, candidate_id, keep_id=keep_id)


@router.post("/duplicates/{candidate_id}/merge", response=MergeOut)
def duplicate_merge(request, candidate_id: int, payload: MergeIn):
    return services.duplicate_merge(actor=request.user, candidate_id=candidate_id, keep_id=payload.keep_id,
                                    version=payload.version)


@router.post("/duplicates/{candidate_id}/dismiss", response=DuplicateOut)
def duplicate_dismiss(request, candidate_id: int, payload: DecideIn):
    c = services.duplicate_dismiss(actor=request.user, candidate_id=candidate_id, version=payload.version)
    return selectors.duplicate_row(c)


# --- imports ----------------------------------------------------------------------------------

class ImportErrorOut(Schema):
    row: int | None = None
    field: str
    code: str
    message: str


class ImportRefusalOut(Schema):
    code: str = Field(description="too_many_rows or cell_too_long")
    status: int = Field(description="422: the whole file was refused, nothing written")
    message: str


class ImportJobOut(Schema):
    id: int
    url: str = Field(description="poll this URL (GET) until state is done or failed")
    kind: str
    mode: str
    filename: str
    state: str = Field(description="pending | running | done | failed")
    progress: int = Field(description="percent of the rows read")
    interrupted: bool = Field(description="the worker running it ended; nothing was written")
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    written: bool
    encoding: str
    message: str = Field(description="why a failed job failed")
    refused: ImportRefusalOut | None = Field(
        None, description="the file is over a row or cell limit (GRIDGOV_IMPORT_MAX_ROWS/_CELL_CHARS)")
    errors: list[ImportErrorOut] = Field(description="every rejected row: row number, field, code, reason")


def _import_job_out(job) -> dict:
    done, total, interrupted = jobs.import_job_progress(job)
    over = next((d for d in job.report if d.get("code") in imports.WHOLE_FILE_LIMITS), None)
    return {"id": job.pk, "url": f"/api/v1/registry/imports/jobs/{job.pk}", "kind": job.kind, "mode": job.mode,
            "filename": job.filename, "state": job.state,
            "progress": round(100 * done / total) if total else (100 if job.state == "done" else 0),
            "interrupted": interrupted, "rows": job.total_rows, "created": job.created, "updated": job.updated,
            "unchanged": job.unchanged, "rejected": job.rejected, "written": job.written,
            "encoding": job.encoding, "message": job.message,
            "refused": {"code": over["code"], "status": 422, "message": over.get("message", "")} if over else None,
            "errors": [{"row": d.get("row"), "field": d.get("field", ""), "code": d.get("code", ""),
                        "message": d.get("message", "")} for d in job.report]}


@router.post("/imports/{kind}", response={202: ImportJobOut},
             summary="Queue an import of persons, houses or orgs from CSV/.xlsx (mode all-or-nothing | "
                     "valid-rows); 202 with the job to poll")
def import_upload(request, response: HttpResponse, kind: str, file: File[UploadedFile],
                  mode: str = "all-or-nothing", encoding: str | None = None):
    """The file is checked against the size limits here (413: upload size, an .xlsx's uncompressed
    size or compression ratio), then spooled and imported by the task worker (`gridgov worker`),
    never in the web process. Poll ``url``: the finished job has the counts and every rejected row;
    a file over the row or cell limit ends with ``refused`` (422's code and message), nothing
    written."""
    if kind not in imports.IMPORTERS:
        raise FieldError("kind", "expected persons, houses or orgs")
    if mode not in imports.MODES:
        raise FieldError("mode", "expected all-or-nothing or valid-rows")
    require_capability(request.user, "registry.edit")
    imports.check_upload(size=file.size or 0)  # 413 before anything is stored
    job = jobs.import_job_start(actor=request.user, kind=kind, mode=mode, upload=file, encoding=encoding)
    out = _import_job_out(job)
    response["Location"] = out["url"]
    return Status(202, out)


@router.get("/imports/jobs/{job_id}", response=ImportJobOut, summary="An import job (yours): state, counts, errors")
def import_job(request, job_id: int):
    return _import_job_out(selectors.import_job_get(request.user, job_id))


@router.get("/imports/template/{kind}.csv", summary="The import template (Chinese headers)")
def import_template(request, kind: str):
    if kind not in imports.IMPORTERS:
        raise FieldError("kind", "expected persons, houses or orgs")
    return HttpResponse(exports.template_csv(kind), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{kind}-template.csv"'})
