"""Step-up: revealing an identity number or exporting resident data asks for the password or an
authenticator code again when the last confirmation is older than ``GRIDGOV_STEPUP_MINUTES`` (15).

A confirmation is: signing in (the password was just typed), a second-factor code at sign-in, or
the confirm page / ``POST /api/v1/accounts/confirm`` (password or code). A browser session keeps
its time in the session; a call made with an API token keeps it per token
(``ApiTokenConfirmation``), so a confirmation never carries over to another session or token.

Callers: ``require_recent(request)`` in the reveal and export views (API and pages). It raises
``StepUpRequired`` (403, code ``step_up_required``): the API answers the JSON envelope, except that
a browser opening an export link (a signed-in page navigation) is sent to the confirm page and back
(``api_response``); a page view redirects with ``confirm_redirect``.

The clock is ``clock()`` (Unix seconds), replaced in tests.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from gridgov.accounts.models import ApiToken, ApiTokenConfirmation, User
from gridgov.core.audit import audit_write
from gridgov.core.errors import ErrorDetail, GridgovError
from gridgov.core.models import AuditAction

SESSION_CONFIRMED_AT = "gridgov_confirmed_at"
OBJECT_STEP_UP = "user.step_up"
CONFIRM_API = "/api/v1/accounts/confirm"


def clock() -> float:
    return time.time()


class StepUpRequired(GridgovError):
    status = 403
    code = "step_up_required"


def window_seconds() -> int:
    return settings.GRIDGOV_STEPUP_MINUTES * 60


def _request_token(request: HttpRequest) -> ApiToken | None:
    """The API token this request was authenticated with (None: a session, or no token)."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    raw = raw.strip()
    user = getattr(request, "user", None)
    if scheme.lower() != "bearer" or not raw or user is None or not user.is_authenticated:
        return None
    digest = hashlib.sha256(raw.encode()).hexdigest()  # as accounts.services stores it
    return ApiToken.objects.filter(digest=digest, user_id=user.pk).first()


def last_confirmed(request: HttpRequest) -> float | None:
    """Unix time of the last confirmation of this session or token, or None."""
    token = _request_token(request)
    if token is not None:
        at = ApiTokenConfirmation.objects.filter(token=token).values_list("confirmed_at", flat=True).first()
        return at.timestamp() if at is not None else None
    session = getattr(request, "session", None)
    value = session.get(SESSION_CONFIRMED_AT) if session is not None else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def is_recent(request: HttpRequest) -> bool:
    at = last_confirmed(request)
    if at is None:
        return False
    age = clock() - at
    return -60 <= age <= window_seconds()  # a time in the future (clock skew > 1 min) is not trusted


def stamp(request: HttpRequest) -> None:
    """Record a confirmation now for this session (or API token)."""
    token = _request_token(request)
    now = clock()
    if token is not None:
        ApiTokenConfirmation.objects.update_or_create(
            token=token, defaults={"confirmed_at": datetime.fromtimestamp(now, tz=UTC)})
        return
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_CONFIRMED_AT] = now


def stamp_on_login(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: signing in with the password is a confirmation."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_CONFIRMED_AT] = clock()


def require_recent(request: HttpRequest) -> None:
    if not is_recent(request):
        minutes = settings.GRIDGOV_STEPUP_MINUTES
        raise StepUpRequired(
            "confirm your password or an authenticator code again first",
            details=[ErrorDetail(field="confirm", code="step_up_required",
                                 message=f"POST {CONFIRM_API} with password or code; "
                                         f"a confirmation lasts {minutes} minutes",
                                 template="POST %(path)s with password or code; a confirmation lasts "
                                          "%(minutes)s minutes",
                                 params={"path": CONFIRM_API, "minutes": minutes})])


def confirm(request: HttpRequest, *, password: str = "", code: str = "") -> bool:
    """Check the password (with the lockout of sign-in) or a second-factor code of the signed-in
    user; right: the confirmation is recorded and audited (LOGIN ``user.step_up`` for a password,
    ``user.totp``/``user.recovery_code`` for a code), wrong: audited LOGIN_FAILED."""
    from gridgov.accounts import services, twofactor

    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:  # a lazy request.user passes isinstance
        return False
    if code.strip():
        ok = twofactor.second_factor_verify(user=user, code=code, purpose="step-up") is not None
    elif password:
        ok = services.user_authenticate(username=user.get_username(), password=password) is not None
        if ok:
            audit_write(AuditAction.LOGIN, actor=user, object_type=OBJECT_STEP_UP, object_id=user.pk,
                        reason="step-up: password")
    else:
        ok = False
    if ok:
        stamp(request)
    return ok


def safe_next(request: HttpRequest, target: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return "/"


def confirm_redirect(next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('accounts:confirm')}?next={quote(next_url, safe='/')}")


def _browser_navigation(request: HttpRequest) -> bool:
    if request.method != "GET" or _request_token(request) is not None:
        return False
    mode = request.headers.get("Sec-Fetch-Mode", "")
    return mode == "navigate" or (not mode and "text/html" in request.headers.get("Accept", ""))


def api_response(api, request: HttpRequest, exc: StepUpRequired) -> HttpResponse:
    """The API's answer to ``StepUpRequired``: a page navigation (an export link clicked) goes to
    the confirm page and comes back; any other call gets 403 ``step_up_required``."""
    from gridgov.core.i18n import error_envelope

    if _browser_navigation(request):
        return confirm_redirect(request.get_full_path())
    return api.create_response(request, error_envelope(exc), status=exc.status)
