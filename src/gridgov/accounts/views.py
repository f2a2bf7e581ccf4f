from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from gridgov.accounts import services


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
