"""Open311 GeoReport v2 endpoints. Public reads list only what citizens submitted through Open311
in public 小类 (city management), and cases staff entered only in a 小类 the centre marked 公开
(``Category.publish_staff_reports``: described by the category's name, no photo); never a
reporter's name or phone: the address is coarsened to the grid's name, coordinates are rounded to
``COORD_DECIMALS`` (3 decimals, about 100 m), ``status_notes`` carries only the note staff wrote for
the public (``Case.public_note``, never the internal close note) and only the citizen's own photos
are shown. Errors use the spec's array: [{"code", "description"}] / <errors><error>…</error></errors>;
HTTP 404 for an unknown service, request, token or jurisdiction, 403 for a bad api_key, 429 (with
Retry-After) for an api_key over its hourly limit, 400 for everything else. A new request and its
photo are one unit: a refused photo leaves no case behind."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from gridgov.cases import selectors, services, workflow
from gridgov.cases.models import Case, CaseTask
from gridgov.cases.open311 import render
from gridgov.core import context
from gridgov.core.errors import Conflict, FieldError, Forbidden, GridgovError, NotFound, RateLimited
from gridgov.core.i18n import exc_message, message_of

MAX_WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
# a retry with the same device_id and payload within this window returns the first request
# (windows are aligned: a retry is recognised for at least this long, at most twice as long)
DEVICE_RETRY_WINDOW = timedelta(minutes=10)
IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0d3c4e-8a61-4c1f-9a37-0f3d1b2c6e11")
COORD_DECIMALS = 3  # 0.001° of latitude is about 111 m, of longitude at 31° N about 95 m
STATUS_NOTES = {
    workflow.REPORTED: "已收到 Received",
    workflow.ACCEPTED: "已受理 Accepted",
    workflow.REGISTERED: "已立案 Registered",
    workflow.DISPATCHED: "已派遣 Sent to the responsible department",
    workflow.HANDLING: "处置中 Being handled",
    workflow.HANDLED: "已处置，待核查 Handled, being checked",
    workflow.VERIFIED: "已核查 Checked",
    workflow.SUSPENDED: "挂账 Long-term case",
    workflow.CLOSED: "已结案 Closed",
    workflow.EVALUATED: "已结案 Closed",
    workflow.REJECTED: "不予受理 Not accepted",
}


class Open311Error(Exception):
    def __init__(self, status: int, description: str, code: int | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.code = code or status
        self.headers = headers or {}


def _field_text(exc: GridgovError) -> str:
    """The error in the request's language; a field error keeps the parameter's name in front."""
    if isinstance(exc, FieldError):
        return _("%(field)s: %(reason)s") % {"field": exc.field, "reason": message_of(exc.details[0])}
    return exc_message(exc)


def jurisdiction_id() -> str:
    return settings.GRIDGOV_OPEN311_JURISDICTION


def _respond(fmt: str, payload, *, root: str, item: str | None, status: int = 200) -> HttpResponse:
    body = render.to_json(payload) if fmt == "json" else render.to_xml(root, item, payload)
    return HttpResponse(body, status=status, content_type=render.CONTENT_TYPES[fmt])


def _error(fmt: str, exc: Open311Error) -> HttpResponse:
    payload, root, item = render.errors([(exc.code, exc.description)])
    response = _respond(fmt, payload, root=root, item=item, status=exc.status)
    for name, value in exc.headers.items():
        response[name] = value
    return response


def _endpoint(view):
    """Common wrapper: jurisdiction check, error array on every failure."""

    def wrapped(request, *args, fmt: str, **kwargs):
        with context.bind(channel="api"):
            try:
                for params in (request.GET, request.POST):
                    bad = next((k for k, vals in params.lists() if "\x00" in k or any("\x00" in v for v in vals)),
                               None)
                    if bad is not None:
                        raise Open311Error(400, _("%(field)s: contains a NUL character") % {"field": bad.replace(chr(0), "")})
                given = (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "").strip()
                if given and given != jurisdiction_id():
                    raise Open311Error(404, _("unknown jurisdiction_id %(value)s") % {"value": repr(given)})
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return _error(fmt, exc)
            except NotFound as exc:
                return _error(fmt, Open311Error(404, exc_message(exc)))
            except (FieldError, Conflict, GridgovError) as exc:
                return _error(fmt, Open311Error(400, _field_text(exc)))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# ----------------------------------------------------------------------------- discovery, services

@require_http_methods(["GET"])
@_endpoint
def discovery(request, *, fmt: str):
    base = request.build_absolute_uri("/open311/v2/")
    payload = {"changeset": "2026-01-01T00:00:00+08:00", "contact": settings.GRIDGOV_OPEN311_CONTACT,
               "key_service": "api_key from the platform operator (gridgov open311-key create NAME)",
               "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                              "changeset": "2026-01-01T00:00:00+08:00", "type": "production",
                              "formats": ["text/xml", "application/json"]}]}
    return _respond(fmt, payload, root="discovery", item=None)


def _service(cat) -> dict:
    return {"service_code": cat.open311_code, "service_name": cat.name,
            "description": cat.name_en or cat.name, "metadata": bool(cat.attributes), "type": "realtime",
            "keywords": ", ".join(x for x in (cat.parent.name, cat.parent.name_en) if x) if cat.parent else "",
            "group": cat.parent.name if cat.parent else ""}


@require_http_methods(["GET"])
@_endpoint
def service_list(request, *, fmt: str):
    return _respond(fmt, [_service(c) for c in selectors.categories(leaves_only=True, public_only=True)],
                    root="services", item="service")


def _public_category(code: str):
    cat = selectors.categories(leaves_only=True, public_only=True).filter(open311_code=code).first()
    if cat is None:
        raise Open311Error(404, _("unknown service_code %(value)s") % {"value": repr(code)})
    return cat


@require_http_methods(["GET"])
@_endpoint
def service_definition(request, code: str, *, fmt: str):
    cat = _public_category(code)
    attributes = []
    for i, attr in enumerate(cat.attributes or [], 1):
        attributes.append({"variable": True, "code": attr["code"], "datatype": attr["datatype"],
                           "required": bool(attr.get("required")),
                           "datatype_description": attr.get("datatype_description", ""),
                           "order": attr.get("order", i), "description": attr.get("description", ""),
                           "values": [{"key": v["key"], "name": v["name"]} for v in attr.get("values", [])]})
    return _respond(fmt, {"service_code": cat.open311_code, "attributes": attributes},
                    root="service_definition", item=None)


# ----------------------------------------------------------------------------- requests

def _photo_urls(request, case: Case) -> list[str]:
    return [request.build_absolute_uri(f"/open311/v2/media/{a.public_token}.{a.public_path.rsplit('.', 1)[-1]}")
            for a in case.attachments.all()]


def _coarse(value: float | None) -> float | None:
    return None if value is None else round(value, COORD_DECIMALS)


def _status_note(state: str, public_note: str) -> str:
    note = STATUS_NOTES.get(state, state)
    if public_note and state in (workflow.REJECTED, workflow.CLOSED, workflow.EVALUATED):
        note = f"{note}: {public_note}"
    return note


def _request_object(request, case: Case, *, extensions: bool, grid_names: dict[str, str]) -> dict:
    status = workflow.open_status(case.state)
    # the department responsible now: an open request's open lead task (none while the case waits
    # for dispatch, e.g. after a reopen), a closed one's last finished lead task
    wanted = CaseTask.Status.OPEN if status == "open" else CaseTask.Status.DONE
    lead = max((t for t in case.tasks.all() if t.role == CaseTask.Role.LEAD and t.status == wanted),
               key=lambda t: t.pk, default=None)
    note = _status_note(case.state, case.public_note)
    photos = _photo_urls(request, case)
    out: dict[str, Any] = {
        "service_request_id": str(case.pk), "status": status, "status_notes": note,
        "service_name": case.category.name, "service_code": case.category.open311_code,
        # what a citizen wrote for the public; a case staff entered (a 公开 category) is described by
        # its category only: the operator's text may hold what a caller said about themselves
        "description": case.description if case.channel == Case.Channel.OPEN311 else case.category.name,
        "agency_responsible": lead.department.name if lead else "",
        "service_notice": "", "requested_datetime": case.reported_at,
        "updated_datetime": case.closed_at if status == "closed" and case.closed_at else case.updated_at,
        "expected_datetime": lead.deadline if lead and status == "open" else None,
        "address": grid_names.get(case.grid_code, ""), "address_id": case.grid_code, "zipcode": "",
        "lat": _coarse(case.lat), "long": _coarse(case.lon), "media_url": photos[0] if photos else "",
    }
    if extensions:
        out["extended_attributes"] = {"channel": case.channel, "state": case.state, "grid_code": case.grid_code,
                                      "photos": photos}
        # never the event's note (staff write it for staff): the status, with the public note
        out["notes"] = [{"datetime": e.at, "description": _status_note(e.to_state, e.data.get("public_note", "")),
                         "type": e.action}
                        for e in case.events.all() if e.public]
    return out


def _parse_dt(value: str, field: str, *, end_of_day: bool = False) -> datetime:
    """W3C-DTF: a date and time with its zone, or a date alone (``2026-11-01``): the start of that
    day in the server's zone, or for an end date the end of that day."""
    value = value.strip()
    if len(value) == 10 and "T" not in value:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise Open311Error(400, _("%(field)s: not a date YYYY-MM-DD") % {"field": field}) from None
        start = timezone.make_aware(datetime.combine(day, time.min))
        return start + timedelta(days=1) - timedelta(microseconds=1) if end_of_day else start
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(400, _("%(field)s: not an ISO 8601 date and time") % {"field": field}) from None
    if parsed.tzinfo is None:
        raise Open311Error(400, _("%(field)s: the timezone is required (e.g. 2025-10-01T00:00:00+08:00)")
                           % {"field": field})
    return parsed


def _int(value: str, field: str, *, low: int, high: int, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise Open311Error(400, _("%(field)s: not an integer") % {"field": field}) from None
    if not low <= number <= high:
        raise Open311Error(400, _("%(field)s: between %(low)s and %(high)s") % {"field": field, "low": low, "high": high})
    return number


def _list_requests(request, fmt: str):
    params = request.GET
    extensions = params.get("extensions", "").lower() == "true"
    qs = selectors.public_cases()
    ids = [x.strip() for x in (params.get("service_request_id") or "").split(",") if x.strip()]
    page = _int(params.get("page"), "page", low=1, high=100000, default=1)
    page_size = _int(params.get("page_size"), "page_size", low=1, high=MAX_REQUESTS, default=MAX_REQUESTS)
    if ids:
        if not all(x.isdigit() for x in ids):
            raise Open311Error(400, _("service_request_id: comma-separated request ids"))
        qs = qs.filter(pk__in=[int(x) for x in ids[:MAX_REQUESTS]])
    else:
        codes = [x.strip() for x in (params.get("service_code") or "").split(",") if x.strip()]
        if codes:
            qs = qs.filter(category__open311_code__in=codes)
        start = _parse_dt(params["start_date"], "start_date") if params.get("start_date") else None
        end = _parse_dt(params["end_date"], "end_date", end_of_day=True) if params.get("end_date") else None
        if start and end and end < start:
            raise Open311Error(400, _("end_date: before start_date"))
        if start and end and end - start > MAX_WINDOW:
            raise Open311Error(400, _("the date range may not span more than 90 days"))
        if start is None:
            if end is None:
                end = timezone.now()
            start = end - MAX_WINDOW
        elif end is None:
            end = min(start + MAX_WINDOW, timezone.now() + timedelta(days=1))
        qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
        statuses = {x.strip() for x in (params.get("status") or "").split(",") if x.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status: open, closed or both"))
        if statuses == {"open"}:
            qs = qs.filter(state__in=workflow.OPEN_STATES)
        elif statuses == {"closed"}:
            qs = qs.filter(state__in=workflow.FINAL_STATES)
    rows = list(selectors.public_cases_with_relations(qs.order_by("-reported_at", "-id"))[(page - 1) * page_size: page * page_size])
    names = selectors.grid_names(c.grid_code for c in rows)
    payload = [_request_object(request, c, extensions=extensions, grid_names=names) for c in rows]
    return _respond(fmt, payload, root="service_requests", item="request")


def _api_key(request):
    raw = (request.POST.get("api_key") or request.GET.get("api_key") or "").strip()
    key = selectors.open311_key_lookup(raw)
    if key is None:
        raise Open311Error(403, _("Invalid api_key received -- can't proceed with create_request."))
    return key


def _attributes(post) -> dict:
    out: dict = {}
    for name in post:
        if not name.startswith("attribute["):
            continue
        inner = name[len("attribute["):]
        if inner.endswith("][]"):
            out[inner[:-3]] = post.getlist(name)
        elif inner.endswith("]"):
            out[inner[:-1]] = post.get(name)
    return out


def _rate_limit(key) -> None:
    retry_after = selectors.open311_key_retry_after(key)
    if retry_after is not None:
        raise Open311Error(429, _("api_key rate limit: %(n)s requests per hour") % {"n": key.max_per_hour},
                           headers={"Retry-After": str(retry_after)})


def _media(request) -> bytes | None:
    """The optional photo (its type is checked by ``services.open311_report``)."""
    upload = request.FILES.get("media")
    if upload is None:
        return None
    if upload.size > services.MAX_UPLOAD:
        raise Open311Error(400, _("media: at most 10 MB"))
    return upload.read()


def _request_digest(request) -> str:
    """SHA-256 over what the client sent (every field but api_key, and the photo's bytes)."""
    h = hashlib.sha256()
    for name in sorted(k for k in request.POST if k != "api_key"):
        for value in request.POST.getlist(name):
            h.update(f"{name}\x00{value}\x01".encode())
    upload = request.FILES.get("media")
    if upload is not None:
        for chunk in upload.chunks():
            h.update(chunk)
        upload.seek(0)
    return h.hexdigest()


def _idempotency_uuid(request, key) -> uuid.UUID | None:
    """The submission key of a POST, scoped to its api_key: from the ``Idempotency-Key`` header
    (1-255 visible ASCII characters; the same key with another payload is refused, 409), else from
    ``device_id`` and the payload's digest within ``DEVICE_RETRY_WINDOW``; None without either."""
    header = request.headers.get("Idempotency-Key")
    if header is not None:
        header = header.strip()
        if not 1 <= len(header) <= 255 or not all(33 <= ord(c) <= 126 for c in header):
            raise Open311Error(400, _("Idempotency-Key: 1 to 255 visible ASCII characters"))
        return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{key.pk}:header:{header}")
    device = (request.POST.get("device_id") or "").strip()
    if not device:
        return None
    digest = _request_digest(request)
    window = int(DEVICE_RETRY_WINDOW.total_seconds())
    bucket = int(timezone.now().timestamp()) // window
    previous = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{key.pk}:device:{device}:{digest}:{bucket - 1}")
    if selectors.case_by_client_uuid(previous) is not None:
        return previous
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{key.pk}:device:{device}:{digest}:{bucket}")


def _create_request(request, fmt: str):
    key = _api_key(request)
    submission = _idempotency_uuid(request, key)
    first = selectors.case_by_client_uuid(submission) if submission is not None else None
    if first is None:  # a replay is not a new submission: it does not count against the limit
        _rate_limit(key)
    post = request.POST
    code = (post.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code is required"))
    cat = _public_category(code)
    lat, lon = post.get("lat", "").strip(), post.get("long", "").strip()
    address_string = strip_tags(post.get("address_string", "")).strip()[:200]
    address_id = post.get("address_id", "").strip()
    grid_code = None
    lat_f: float | None
    lon_f: float | None
    if lat or lon:
        try:
            lat_f, lon_f = float(lat), float(lon)
        except ValueError:
            raise Open311Error(400, _("lat and long: WGS84 decimal degrees, both required")) from None
    else:
        lat_f = lon_f = None
        if address_id:
            grid_code = address_id
        elif address_string:
            grid_code = selectors.grid_code_for_address(address_string)
            if grid_code is None:
                raise Open311Error(400, _("address_string could not be located; send lat and long, or a grid "
                                          "code as address_id"))
        else:
            raise Open311Error(400, _("a location is required: lat and long, address_string or address_id"))
    description = strip_tags(post.get("description", "")).strip()
    if len(description) > 4000:
        raise Open311Error(400, _("description: at most 4,000 characters"))
    name = " ".join(x for x in (post.get("last_name", "").strip(), post.get("first_name", "").strip()) if x)
    try:
        case, created = services.open311_report(
            key=key, photo=_media(request), category_code=cat.code, description=description or cat.name,
            lon=lon_f, lat=lat_f, grid_code=grid_code, address=address_string, caller_name=name[:64],
            caller_phone=post.get("phone", "").strip()[:32], attributes=_attributes(post),
            client_uuid=submission)
    except FieldError as exc:
        raise Open311Error(400, _field_text(exc)) from None
    except RateLimited as exc:  # the limit as checked under the lock, in the insert's transaction
        raise Open311Error(429, exc_message(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    except Forbidden:
        raise Open311Error(403, _("Invalid api_key received -- can't proceed with create_request.")) from None
    except Conflict as exc:
        if exc.code == "idempotency_key_reused":
            raise Open311Error(409, _("Idempotency-Key was already used for a different request")) from None
        raise
    payload = [{"service_request_id": str(case.pk), "token": str(case.open311_token),
                "service_notice": "", "account_id": None}]
    response = _respond(fmt, payload, root="service_requests", item="request", status=201)
    if not created:
        response["Idempotent-Replayed"] = "true"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_endpoint
def requests_view(request, *, fmt: str):
    if request.method == "POST":
        return _create_request(request, fmt)
    return _list_requests(request, fmt)


@require_http_methods(["GET"])
@_endpoint
def request_detail(request, request_id: str, *, fmt: str):
    case = selectors.public_cases_with_relations(selectors.public_cases().filter(pk=int(request_id))).first() if request_id.isdigit() \
        else None
    if case is None:
        raise Open311Error(404, _("unknown service_request_id %(value)s") % {"value": repr(request_id)})
    extensions = request.GET.get("extensions", "").lower() == "true"
    names = selectors.grid_names([case.grid_code])
    return _respond(fmt, [_request_object(request, case, extensions=extensions, grid_names=names)],
                    root="service_requests",
                    item="request")


@require_http_methods(["GET"])
@_endpoint
def token_detail(request, token: str, *, fmt: str):
    case = selectors.case_for_token(token)
    if case is None:
        raise Open311Error(404, _("unknown token %(value)s") % {"value": repr(token)})
    return _respond(fmt, [{"service_request_id": str(case.pk), "token": token}], root="service_requests",
                    item="request")


@require_http_methods(["GET"])
def media(request, token: str, ext: str):
    """The metadata-free copy of a photo of a public case (never the original)."""
    att = selectors.public_attachment(token)
    if att is None or not att.public_path.endswith("." + ext):
        raise Http404("no such media")
    path = services.media_root() / att.public_path
    if not path.is_file():
        raise Http404("no such media")
    response = FileResponse(path.open("rb"), content_type=att.content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
