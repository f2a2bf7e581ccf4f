from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from gridgov.accounts import passwords, sessions

SESSION_LOGIN_AT = "gridgov_login_at"
SESSION_SEEN_AT = "gridgov_seen_at"


def stamp_login_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_LOGIN_AT] = time.time()


class SessionLimitsMiddleware:
    """Absolute session lifetime, and the sliding idle timeout: the session (and so its
    server-side expiry, SESSION_COOKIE_AGE from the save) is refreshed when the last refresh is
    older than GRIDGOV_SESSION_TOUCH_SECONDS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            login_at = request.session.get(SESSION_LOGIN_AT)
            now = time.time()
            if login_at is None or now - float(login_at) > settings.GRIDGOV_SESSION_ABSOLUTE_SECONDS:
                logout(request)
            elif now - float(request.session.get(SESSION_SEEN_AT, 0)) > settings.GRIDGOV_SESSION_TOUCH_SECONDS:
                request.session[SESSION_SEEN_AT] = now
                sessions.session_touch(request=request)
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """After an administrator's reset the user may do nothing but change the password (or sign
    out): every page redirects to the password change page (with ``next``), every API call under
    /api/ answers 403 ``password_change_required``. Static files and the language switch pass."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if passwords.must_change(getattr(request, "user", None)) and not self._allowed(request.path_info):
            target = reverse("accounts:password_change")
            if request.path_info.startswith("/api/"):
                return JsonResponse({"error": {
                    "code": "password_change_required",
                    "message": _("Your password was reset by an administrator: change it before going on."),
                    "details": [], "change_url": target}}, status=403)
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        if path.startswith(settings.STATIC_URL):
            return True
        for name in passwords.ALLOWED_WHILE_FORCED:
            try:
                if path == reverse(name):
                    return True
            except NoReverseMatch:
                continue
        return False
