"""Pages of the reconciliation (对账): upload and list, one reconciliation (progress polled by
static/quality/reconcile.js, results), and the grid worker's worklist with confirm / reject. Thin."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gridgov.accounts.scope import require_capability
from gridgov.core.errors import GridgovError
from gridgov.core.i18n import exc_message
from gridgov.core.pages import page_view
from gridgov.quality import reconcile_selectors as selectors
from gridgov.quality import reconcile_services as services
from gridgov.quality.link_cli import CHINESE_HEADER
from gridgov.quality.linkage import FIELDS
from gridgov.quality.models import LinkCandidate, Reconciliation


def _field_names() -> dict:
    return {"name": _("person's name"), "sex": _("sex"), "birth_date": _("birth date"),
            "identity_number": _("identity number"), "mobile": _("mobile"), "address": _("address")}


def _with_labels(rows: list[dict]) -> list[dict]:
    names = _field_names()
    for row in rows:
        row["conflict_labels"] = [str(names.get(f, f)) for f in row["conflicts"]]
        row["sex_label"] = {"M": _("male"), "F": _("female")}.get(row["sex"], "")
    return rows


@never_cache
@page_view
def reconcile_list(request):
    require_capability(request.user, services.RECONCILE)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            threshold = float(request.POST.get("threshold") or 0.9)
        except ValueError:
            threshold = -1.0
        try:
            rec = services.reconciliation_start(
                actor=request.user, name=request.POST.get("name", ""), area_code=request.POST.get("area_code", ""),
                list_kind=request.POST.get("list_kind", ""), upload=request.FILES.get("file"),
                encoding=request.POST.get("encoding", ""), threshold=threshold)
        except GridgovError as exc:
            error, status = exc_message(exc), exc.status
        else:
            return redirect("quality:reconcile_detail", rec_id=rec.pk)
    prefixes = [m.jurisdiction for m in request.user.active_memberships()]
    return render(request, "quality/reconcile_list.html", dict(
        error=error, reconciliations=list(selectors.reconciliations(request.user)[:20]),
        kinds=Reconciliation.ListKind.choices, default_area=prefixes[0] if prefixes else "",
        chinese_header=CHINESE_HEADER, english_header=",".join(FIELDS)), status=status)


@never_cache
@page_view
def reconcile_detail(request, rec_id: int):
    rec = selectors.reconciliation_get(request.user, rec_id)
    if request.GET.get("format") == "json":
        return JsonResponse(selectors.progress(rec))
    kind = request.GET.get("kind", "")
    rows = _with_labels(selectors.candidates(request.user, rec, kind=kind)) if rec.status == "done" else []
    return render(request, "quality/reconcile_detail.html", dict(
        rec=rec, job=selectors.progress(rec), rows=rows, kind=kind, kinds=LinkCandidate.Kind.choices,
        counts=selectors.worklist_counts(request.user, rec)))


@never_cache
@page_view
def reconcile_worklist(request):
    status = request.GET.get("status", "open")
    items = _with_labels(selectors.worklist(request.user, status=status if status != "all" else ""))
    return render(request, "quality/reconcile_worklist.html", dict(items=items, status=status))


@require_POST
@page_view
def reconcile_decide(request, item_id: int):
    try:
        services.worklist_item_decide(actor=request.user, item_id=item_id, outcome=request.POST.get("outcome", ""),
                                      note=request.POST.get("note", ""))
    except GridgovError as exc:
        if exc.status in (403, 404):
            raise
        items = _with_labels(selectors.worklist(request.user))
        return render(request, "quality/reconcile_worklist.html", dict(items=items, status="open",
                                                                       error=exc_message(exc)), status=exc.status)
    return redirect("quality:reconcile_worklist")
