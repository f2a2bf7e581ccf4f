from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import selectors, services
from gridgov.accounts.exports import MAX_ROWS, audit_csv, present
from gridgov.accounts.forms import AuditFilterForm, object_type_choices
from gridgov.accounts.labels import OBJECT_TYPE_LABELS
from gridgov.accounts.scope import require_capability
from gridgov.core.pages import page_view


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return "/"


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    error = None
    username = ""
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        user = authenticate(request, username=username, password=request.POST.get("password", ""))
        if user is not None:
            login(request, user)  # rotates the session id and starts the absolute session clock
            services.user_logged_in(user=user)
            return redirect(_safe_next(request))
        # One message for unknown user, wrong password and locked account: no enumeration.
        error = _("The username or password is incorrect, or the account is temporarily locked.")
    return render(request, "accounts/login.html",
                  {"error": error, "username": username, "next": _safe_next(request)},
                  status=200)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        services.user_logged_out(user=request.user)
    logout(request)
    return redirect("accounts:login")


# --- the audit trail (auditors: capability audit.view) ------------------------------------------

AUDIT_PAGE = 50


def _audit_form(request) -> AuditFilterForm:
    return AuditFilterForm(request.GET or None)


@never_cache
@page_view
@require_GET
def audit_page(request):
    """The audit trail, filtered and paginated (newest first, local time). A bad filter answers 400
    with the form's message and no rows."""
    require_capability(request.user, "audit.view")
    form = _audit_form(request)
    rows: list[dict] = []
    more = False
    try:
        offset = max(0, min(int(request.GET.get("offset", 0) or 0), 1_000_000))
    except ValueError:
        offset = 0
    valid = form.is_valid() if form.is_bound else True
    if valid:
        filters = form.selector_filters() if form.is_bound else {}
        events = list(selectors.audit_list(request.user, **filters)[offset:offset + AUDIT_PAGE + 1])
        more = len(events) > AUDIT_PAGE
        rows = present(events[:AUDIT_PAGE])
    params = request.GET.copy()
    params.pop("offset", None)
    query = params.urlencode()
    return render(request, "accounts/audit.html", dict(
        form=form, rows=rows, more=more, offset=offset, query=query, valid=valid,
        next_offset=offset + AUDIT_PAGE, prev_offset=max(0, offset - AUDIT_PAGE),
        first=offset + 1, last=offset + len(rows), max_export=MAX_ROWS,
        object_types=object_type_choices(list(OBJECT_TYPE_LABELS))), status=200 if valid else 400)


@never_cache
@page_view
@require_GET
def audit_export(request):
    """The filtered rows as CSV; the export writes its own audit row (EXPORT)."""
    require_capability(request.user, "audit.view")
    form = _audit_form(request)
    if form.is_bound and not form.is_valid():
        return audit_page(request)
    filters = form.selector_filters() if form.is_bound else {}
    return audit_csv(request.user, filters, form.described() if form.is_bound else {})
