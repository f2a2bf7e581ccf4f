"""The REST API under /api/v1/: deny by default.

Every operation requires a session (with CSRF) or an API token (``Authorization: Bearer ggv_…``)
unless it is in ``PUBLIC_OPERATIONS``; anonymous calls get 401. Errors use the JSON envelope
``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError
from ninja.security import HttpBearer, SessionAuth

from gridgov.accounts import services as account_services
from gridgov.accounts import stepup
from gridgov.accounts.stepup import StepUpRequired
from gridgov.core.dbfaults import unavailable_response
from gridgov.core.errors import GridgovError, envelope
from gridgov.core.i18n import error_envelope

log = logging.getLogger("gridgov.api")


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = account_services.token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """Session cookie auth; CSRF is checked only once there is a signed-in session, so an
    anonymous caller gets 401 (not a CSRF 403) and a signed-in one still needs the token."""

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


def _docs_guard(view):
    return staff_member_required(view) if settings.PRODUCTION else login_required(view)


api = NinjaAPI(
    title="gridgov API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), ActiveSessionAuth()],
    docs_decorator=_docs_guard,
)

# Operations reachable without credentials: (method, path relative to /api/v1).
PUBLIC_OPERATIONS = {("GET", "/health")}


@api.exception_handler(GridgovError)
def _gridgov_error(request, exc: GridgovError):
    # message and details in the request's language; the code stays the stable machine value
    return api.create_response(request, error_envelope(exc), status=exc.status)


@api.exception_handler(StepUpRequired)
def _step_up_required(request, exc: StepUpRequired):
    # 403 step_up_required; an export link opened in the browser goes to the confirm page and back
    return stepup.api_response(api, request, exc)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    details = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        details.append({"field": ".".join(loc) or "request", "code": err.get("type", "invalid"),
                        "message": err.get("msg", "invalid")})
    return api.create_response(request, envelope("validation_error", gettext("request validation failed"), details),
                               status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(request, envelope("unauthenticated", gettext("authentication required")), status=401)


@api.exception_handler(AuthorizationError)
def _unauthorised(request, exc):
    return api.create_response(request, envelope("forbidden", gettext("not permitted")), status=403)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, envelope("forbidden", str(exc) or "not permitted"), status=403)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, envelope("not_found", gettext("not found")), status=404)


@api.exception_handler(Throttled)
def _throttled(request, exc):
    return api.create_response(request, envelope("throttled", gettext("too many requests")), status=429)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return api.create_response(request, envelope("http_error", str(exc)), status=exc.status_code)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_unavailable(request, exc):
    log.error("database unavailable (request %s): %s", getattr(request, "request_id", "-"), exc)
    return unavailable_response(request)


@api.exception_handler(Exception)
def _unexpected(request, exc):
    log.exception("unhandled API error (request %s)", getattr(request, "request_id", "-"))
    return api.create_response(request, envelope("internal_error", "internal error"), status=500)


@api.get("/health", auth=None, tags=["system"])
def health(request):
    return {"status": "ok"}


def _register_routers() -> None:
    from gridgov.accounts.api import router as accounts_router
    from gridgov.care.api import router as care_router
    from gridgov.cases.api import router as cases_router
    from gridgov.command.api import router as command_router
    from gridgov.desk.api import router as desk_router
    from gridgov.geo.api import router as geo_router
    from gridgov.prevention.api import router as prevention_router
    from gridgov.quality.api import router as quality_router
    from gridgov.registry.api import router as registry_router
    from gridgov.safety.api import router as safety_router

    api.add_router("/accounts", accounts_router)
    api.add_router("/geo", geo_router)
    api.add_router("/registry", registry_router)
    api.add_router("/cases", cases_router)
    api.add_router("/safety", safety_router)
    api.add_router("/care", care_router)
    api.add_router("/quality", quality_router)
    api.add_router("/prevention", prevention_router)
    api.add_router("/desk", desk_router)
    api.add_router("/command", command_router)


_register_routers()
