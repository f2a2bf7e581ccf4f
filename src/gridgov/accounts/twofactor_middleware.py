"""Until a user who needs a second factor has given a code in this session, only the two-factor
pages are open to them (accounts/twofactor.py says who needs one).

Installed after django-otp's ``OTPMiddleware`` (which gives ``request.user.is_verified()``) and
``SessionLimitsMiddleware``. A page request is sent to the code page (enrolled) or the enrolment
page (not yet), with ``next``; an API call with such a session answers 401 ``two_factor_required``.
API tokens are machine credentials, not sessions: they are not asked (step-up still applies).
"""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext

from gridgov.accounts import twofactor

#: the session knows at sign-in whether the user had enrolled (no query per request for the many
#: users who need no second factor)
SESSION_ENROLLED = "gridgov_2fa_enrolled"

#: paths an unverified user may open (the sign-in and two-factor pages, static files, language)
OPEN_PREFIXES = ("/accounts/two-factor/verify/", "/accounts/two-factor/enrol/", "/accounts/login/",
                 "/accounts/logout/", "/static/", "/i18n/", "/favicon.ico")


def note_enrolment_on_login(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: remember in the session whether the user has an authenticator."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_ENROLLED] = twofactor.is_enrolled(user)


def needs_second_factor(request: HttpRequest) -> bool:
    """Signed in, not verified by a code in this session, and enrolled or obliged to enrol."""
    user = request.user
    if not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return False
    return bool(request.session.get(SESSION_ENROLLED)) or twofactor.requires_two_factor(user)


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(OPEN_PREFIXES) or not needs_second_factor(request):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            from gridgov.core.http_errors import error_for_path

            response = error_for_path(request, 401, "two_factor_required",
                                      gettext("sign in with your authenticator code first"))
            assert response is not None  # an /api/ path always has a machine answer
            return response
        enrolled = bool(request.session.get(SESSION_ENROLLED)) or twofactor.is_enrolled(request.user)  # type: ignore[arg-type]
        target = reverse("accounts:twofactor_verify" if enrolled else "accounts:twofactor_enrol")
        next_url = request.get_full_path() if request.method == "GET" else "/"
        return HttpResponseRedirect(f"{target}?next={quote(next_url, safe='/')}")
