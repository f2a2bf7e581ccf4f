from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout

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
        return self.get_response(request)
