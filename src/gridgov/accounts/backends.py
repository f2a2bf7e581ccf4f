from django.contrib.auth.backends import ModelBackend

from gridgov.accounts import services


class LockoutBackend(ModelBackend):
    """Django's model backend with gridgov's lockout and audit (used by every login form)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        return services.user_authenticate(username=username, password=password)
