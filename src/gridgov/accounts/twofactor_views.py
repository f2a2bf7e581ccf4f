"""Pages of two-factor sign-in and step-up: the code page, enrolment (QR code served as SVG by a
view: no inline script or data URI, so a strict CSP holds), the recovery codes shown once, the
account security page, and the confirm page of step-up."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from gridgov.accounts import stepup, twofactor
from gridgov.accounts.models import User
from gridgov.accounts.twofactor_middleware import SESSION_ENROLLED, needs_second_factor
from gridgov.core.pages import page_view


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return "/"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # page_view: signed in
    return user


def _verified(request: HttpRequest) -> bool:
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _wrong_code_message(user: User) -> str:
    wait = twofactor.throttle_wait_seconds(user)
    if wait:
        return _("Too many wrong codes. Wait %(seconds)s seconds and try again.") % {"seconds": wait}
    return _("The code is not correct. Type the 6-digit code your authenticator app shows now, "
             "or one of your recovery codes.")


@sensitive_post_parameters("code")
@never_cache
@page_view
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in: a 6-digit authenticator code or a recovery code."""
    user = _user(request)
    next_url = _next(request)
    if _verified(request):
        return HttpResponseRedirect(next_url)
    if not twofactor.is_enrolled(user):
        return HttpResponseRedirect(f"{reverse('accounts:twofactor_enrol')}?next={quote(next_url, safe='/')}")
    error = ""
    if request.method == "POST":
        result = twofactor.second_factor_verify(user=user, code=request.POST.get("code", ""))
        if result is not None:
            otp_login(request, result.device)
            request.session[SESSION_ENROLLED] = True
            stepup.stamp(request)
            if result.recovery:
                return HttpResponseRedirect(reverse("accounts:twofactor_manage") + "?recovered=1")
            return HttpResponseRedirect(next_url)
        error = _wrong_code_message(user)
    return _no_store(render(request, "accounts/twofactor_verify.html",
                            {"error": error, "next": next_url, "nav": []}, status=400 if error else 200))


@sensitive_post_parameters("code")
@never_cache
@page_view
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Enrolment: scan the QR code (or type the secret), confirm with a code, note the 10 recovery
    codes. An enrolled user must have given a code in this session and confirmed recently to
    enrol a new authenticator (so a stolen password cannot replace it)."""
    user = _user(request)
    next_url = _next(request)
    enrolled = twofactor.is_enrolled(user)
    if enrolled and not _verified(request):
        return HttpResponseRedirect(f"{reverse('accounts:twofactor_verify')}?next={quote(next_url, safe='/')}")
    if enrolled and not stepup.is_recent(request):
        return stepup.confirm_redirect(request.get_full_path())
    error = ""
    if request.method == "POST":
        result = twofactor.totp_enrolment_confirm(user=user, code=request.POST.get("code", ""))
        if result is not None:
            otp_login(request, result.device)
            request.session[SESSION_ENROLLED] = True
            stepup.stamp(request)
            return _no_store(render(request, "accounts/twofactor_recovery_codes.html",
                                    {"codes": result.recovery_codes, "next": next_url, "enrolled_now": True}))
        error = _wrong_code_message(user) if twofactor.totp_enrolment_pending(user) else _(
            "The enrolment expired. Scan the new QR code and try again.")
    device = twofactor.totp_enrolment_begin(user=user)
    context = {"secret": twofactor.secret_base32(device), "error": error, "next": next_url,
               "account": user.get_username(), "replacing": enrolled,
               "required": twofactor.requires_two_factor(user)}
    if needs_second_factor(request):
        context["nav"] = []  # nothing else is open yet
    return _no_store(render(request, "accounts/twofactor_enrol.html", context, status=400 if error else 200))


@never_cache
@page_view
@require_GET
def enrol_qr(request: HttpRequest) -> HttpResponse:
    """The pending enrolment's QR code as SVG (404 when no enrolment is in progress)."""
    from django.http import Http404

    user = _user(request)
    if twofactor.is_enrolled(user) and not _verified(request):
        raise Http404
    device = twofactor.totp_enrolment_pending(user)
    if device is None:
        raise Http404
    return _no_store(HttpResponse(twofactor.qr_svg(device), content_type="image/svg+xml"))


@never_cache
@page_view
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    """Account security: the authenticator, recovery codes left, renew them, enrol a new phone."""
    user = _user(request)
    device = twofactor.totp_device(user)
    return _no_store(render(request, "accounts/twofactor_manage.html", {
        "device": device, "required": twofactor.requires_two_factor(user),
        "codes_left": twofactor.recovery_codes_left(user) if device else 0,
        "recovered": request.GET.get("recovered") == "1", "stepup_minutes": stepup.window_seconds() // 60,
    }))


@never_cache
@page_view
@require_POST
def recovery_renew(request: HttpRequest) -> HttpResponse:
    """New recovery codes (after a recent confirmation), shown once."""
    user = _user(request)
    if not twofactor.is_enrolled(user):
        return HttpResponseRedirect(reverse("accounts:twofactor_enrol"))
    if not stepup.is_recent(request):
        return stepup.confirm_redirect(reverse("accounts:twofactor_manage"))
    codes = twofactor.recovery_codes_renew(user=user)
    return _no_store(render(request, "accounts/twofactor_recovery_codes.html",
                            {"codes": codes, "next": reverse("accounts:twofactor_manage"), "enrolled_now": False}))


@sensitive_post_parameters("password", "code")
@never_cache
@page_view
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """Step-up: the password or an authenticator code again, then back to ``next``. A download
    (an export under /api/) is started from a page that stays, with a way back."""
    user = _user(request)
    next_url = _next(request)
    error = ""
    if request.method == "POST":
        ok = stepup.confirm(request, password=request.POST.get("password", ""), code=request.POST.get("code", ""))
        if ok:
            if next_url.startswith("/api/"):
                back = _back(request)
                return _no_store(render(request, "accounts/confirm_done.html", {"download": next_url, "back": back}))
            return HttpResponseRedirect(next_url)
        error = (_wrong_code_message(user) if request.POST.get("code", "").strip()
                 else _("The password is not correct, or the account is temporarily locked."))
    return _no_store(render(request, "accounts/confirm.html", {
        "error": error, "next": next_url, "back": _back(request),
        "enrolled": twofactor.is_enrolled(user), "minutes": stepup.window_seconds() // 60,
    }, status=400 if error else 200))


def _back(request: HttpRequest) -> str:
    """Where the person came from (same site), for a link back after a download."""
    target = request.POST.get("back") or request.headers.get("Referer", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return "/"
