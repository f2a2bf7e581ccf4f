"""Pages of the register: person search, person detail (masked, reveal form), house, organisation,
the mobile "register a resident at this house" page and the import upload page with progress."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from gridgov.accounts import stepup
from gridgov.accounts.scope import has_capability, require_capability
from gridgov.core.errors import Forbidden, GridgovError, NotFound
from gridgov.core.i18n import exc_message, message_of
from gridgov.core.masking import mask_identity_number, mask_phone
from gridgov.core.pages import page_view
from gridgov.registry import codes, imports, jobs, labels, selectors, services
from gridgov.registry.models import ImportJob
from gridgov.registry.tabular import write_csv

PAGE = 50
PHONE_TOKENS = "registry_phone_tokens"  # session: URL token -> the phone number searched
PHONE_TOKENS_KEPT = 20


@never_cache
@page_view
def persons(request):
    fields = ("q", "name", "last4", "phone", "address", "house_code", "grid_code", "status", "population_type")
    filters = {f: request.GET.get(f, "").strip()[:64] for f in fields}
    # A full identity number never stays in a URL (history, logs, the language form's "next"):
    # it is swapped for its blind index and shown masked.
    token = selectors.identity_token(filters["q"])
    if token:
        rest = "&".join(f"{k}={quote(v)}" for k, v in filters.items() if v and k != "q")
        return redirect(f"{request.path}?idx={token}&qm={quote(mask_identity_number(filters['q'].upper()))}"
                        + (f"&{rest}" if rest else ""))
    # A phone number neither: it is swapped for a keyed-hash token (``phx``) whose number is kept
    # in this session only (the register stores phone numbers, not their hashes); shown masked.
    phone = filters["phone"] or (filters["q"] if selectors.is_phone_query(filters["q"]) else "")
    if phone:
        token = selectors.phone_token(phone)
        kept = {k: v for k, v in request.session.get(PHONE_TOKENS, {}).items() if k != token}
        request.session[PHONE_TOKENS] = dict(list(kept.items())[-(PHONE_TOKENS_KEPT - 1):] + [(token, phone)])
        rest = "&".join(f"{k}={quote(v)}" for k, v in filters.items() if v and v != phone)
        return redirect(f"{request.path}?phx={quote(token)}&pm={quote(mask_phone(phone))}"
                        + (f"&{rest}" if rest else ""))
    phx = request.GET.get("phx", "").strip()[:64]
    phone_error = ""
    if phx:
        filters["phone"] = request.session.get(PHONE_TOKENS, {}).get(phx, "")
        if not filters["phone"]:
            filters["phone"] = "-"  # matches nobody
            phone_error = _("This phone search has expired or belongs to another sign-in; please type the "
                            "number again.")
    idx = request.GET.get("idx", "").strip()[:64]
    error = ""
    rows, more, offset = [], False, 0
    try:
        offset = max(0, min(int(request.GET.get("offset", 0) or 0), 1_000_000))
    except ValueError:
        offset = 0
    try:
        qs = selectors.person_search(request.user, **filters, id_index=idx)
        items = list(qs[offset:offset + PAGE + 1])
        more = len(items) > PAGE
        rows = selectors.person_rows(items[:PAGE])
    except GridgovError as exc:
        if isinstance(exc, Forbidden):
            raise
        error = exc_message(exc)
    error = error or phone_error
    if phx:
        filters["phone"] = ""
        filters["q"] = mask_phone(request.GET.get("pm", "")[:32])
    query = "&".join(f"{k}={quote(v)}" for k, v in filters.items() if v and not (phx and k == "q"))
    if phx:
        query = f"phx={quote(phx)}&pm={quote(request.GET.get('pm', '')[:32])}" + (f"&{query}" if query else "")
    if idx:
        query = f"idx={quote(idx)}&qm={quote(request.GET.get('qm', '')[:18])}" + (f"&{query}" if query else "")
        filters["q"] = mask_identity_number(request.GET.get("qm", "")[:18])
    return render(request, "registry/persons.html", dict(
        rows=rows, filters=filters, error=error, more=more, offset=offset, next_offset=offset + PAGE,
        prev_offset=max(0, offset - PAGE), query=query, population_types=codes.POPULATION_TYPE,
        can_edit=has_capability(request.user, "registry.edit")))


@never_cache
@page_view
@require_http_methods(["GET", "POST"])
def person_detail(request, person_id: int):
    revealed = ""
    reveal_error = ""
    if request.method == "POST":
        if has_capability(request.user, "registry.reveal") and not stepup.is_recent(request):
            return stepup.confirm_redirect(request.path)  # the password or a code again, then back here
        try:
            revealed = services.person_reveal(actor=request.user, person_id=person_id,
                                              reason=request.POST.get("reason", ""))
        except (Forbidden, NotFound):
            raise
        except GridgovError as exc:
            reveal_error = exc_message(exc)
    data = selectors.person_detail(request.user, person_id)
    response = render(request, "registry/person_detail.html", dict(
        p=data, revealed=revealed, reveal_error=reveal_error,
        can_reveal=has_capability(request.user, "registry.reveal")))
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@page_view
def house_detail(request, house_id: int):
    data = selectors.house_detail(request.user, house_id)
    return render(request, "registry/house_detail.html", dict(
        h=data, can_edit=has_capability(request.user, "registry.edit")))


@never_cache
@page_view
@require_http_methods(["GET", "POST"])
def house_register_resident(request, house_id: int):
    """Mobile page: a grid worker registers a resident at this house from the street."""
    house = selectors.house_get(request.user, house_id, capability="registry.edit", purpose="write")
    errors: dict[str, str] = {}
    message = ""
    values = {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in (
            "identity_number", "doc_type", "doc_number", "name", "sex", "birth_date", "ethnicity", "phone",
            "population_type", "hukou_division", "relation", "domicile_type", "inflow_reason", "moved_in")}
        data = {k: values[k] for k in ("identity_number", "doc_type", "doc_number", "name", "sex", "birth_date",
                                       "ethnicity", "phone", "population_type", "hukou_division")}
        try:
            reg = services.person_register(actor=request.user, data=data, house_id=house.pk,
                                           relation=values["relation"], domicile_type=values["domicile_type"],
                                           inflow_reason=values["inflow_reason"], moved_in=values["moved_in"] or None)
            message = _("Registered. Possible duplicates were queued for review.") if reg.duplicates else \
                _("Registered.")
            values = {}
        except GridgovError as exc:
            if isinstance(exc, (Forbidden, NotFound)):
                raise
            for d in exc.details or []:
                errors[d.field] = message_of(d)
            if not exc.details:
                errors["general"] = exc_message(exc)
    return render(request, "registry/register_mobile.html", dict(
        house=selectors.house_brief(house), errors=errors, message=message, values=values,
        population_types=codes.POPULATION_TYPE, relations=codes.RELATION, domicile_types=codes.DOMICILE_TYPE,
        inflow_reasons=codes.INFLOW_REASON, ethnicities=codes.ETHNICITY, doc_types=codes.DOC_TYPE))


@never_cache
@page_view
def organisations(request):
    q = request.GET.get("q", "").strip()[:100]
    items = list(selectors.organisation_search(request.user, q=q)[:PAGE])
    return render(request, "registry/organisations.html", dict(
        rows=[selectors.organisation_brief(o) for o in items], q=q))


@never_cache
@page_view
def organisation_detail(request, org_id: int):
    return render(request, "registry/organisation_detail.html",
                  dict(o=selectors.organisation_detail(request.user, org_id)))


# --- import upload ------------------------------------------------------------------------------

@never_cache
@page_view
@require_http_methods(["GET", "POST"])
def import_page(request):
    require_capability(request.user, "registry.edit")
    error = ""
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        mode = request.POST.get("mode", "all-or-nothing")
        upload = request.FILES.get("file")
        encoding = request.POST.get("encoding") or None
        if kind not in imports.IMPORTERS or mode not in imports.MODES:
            error = _("Choose what to import and the mode.")
        elif upload is None:
            error = _("Choose a file.")
        else:
            try:
                imports.check_upload(size=upload.size or 0)
                job = jobs.import_job_start(actor=request.user, kind=kind, mode=mode, upload=upload,
                                            encoding=encoding)
            except imports.ImportRefused as exc:
                return render(request, "registry/import.html", dict(
                    error=exc_message(exc), jobs=list(selectors.import_jobs(request.user)[:10]), modes=imports.MODES),
                    status=exc.status)
            return redirect("registry:import_job", job_id=job.pk)
    return render(request, "registry/import.html", dict(
        error=error, jobs=list(selectors.import_jobs(request.user)[:10]), modes=imports.MODES))


def _job_dict(job: ImportJob) -> dict:
    done, total, interrupted = jobs.import_job_progress(job)
    return {"id": job.pk, "state": job.state, "state_label": labels.label("job_state", job.state), "kind": job.kind, "mode": job.mode, "filename": job.filename,
            "rows": job.total_rows, "created": job.created, "updated": job.updated, "unchanged": job.unchanged,
            "rejected": job.rejected, "written": job.written, "encoding": job.encoding, "message": job.message,
            "progress": round(100 * done / total) if total else (100 if job.state == "done" else 0),
            "interrupted": interrupted,
            "errors": job.report[:200], "errors_total": len(job.report)}


@never_cache
@page_view
def import_job(request, job_id: int):
    job = selectors.import_job_get(request.user, job_id)
    if request.GET.get("format") == "json":
        return JsonResponse(_job_dict(job))
    return render(request, "registry/import_job.html", dict(job=_job_dict(job)))


@never_cache
@page_view
def import_report(request, job_id: int):
    job = selectors.import_job_get(request.user, job_id)
    rows = [[d.get("row", ""), labels.field_label(d.get("field", "")), d.get("code", ""), d.get("message", "")]
            for d in job.report]
    # the header in the reader's language; the code column keeps the stable machine codes
    body = write_csv(rows, [pgettext("import report column", "row"), pgettext("import report column", "field"),
                            pgettext("import report column", "error code"),
                            pgettext("import report column", "reason")])
    return HttpResponse(body, content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="import-{job.pk}-report.csv"'})
