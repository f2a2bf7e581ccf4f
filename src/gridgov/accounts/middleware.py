from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout

SESSION_LOGIN_AT = "gridgov_login_at"


def stamp_login_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_LOGIN_AT] = time.time()


class SessionLimitsMiddleware:
    """Absolute session lifetime (idle timeout is the sliding SESSION_COOKIE_AGE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            login_at = request.session.get(SESSION_LOGIN_AT)
            if login_at is None or time.time() - float(login_at) > settings.GRIDGOV_SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)
