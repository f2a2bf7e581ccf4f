"""The one page guard and the site's two refusal pages.

``page_view`` wraps every template view: the user must be signed in (else the login page, with
``next``), a ``Forbidden`` (the capability is missing) becomes the 403 page and a ``NotFound``
(absent, or outside the jurisdiction: the two look the same) or Django's ``Http404`` becomes the
404 page. ``forbidden`` and ``not_found`` are also Django's ``handler403``/``handler404``
(``gridgov.urls``), so an unknown address answers the same page; ``server_error`` is
``handler500`` (a database fault -> 503, see ``core.dbfaults``). Both pages extend ``base.html``;
the navigation comes from the context processor (``gridgov.navigation.navigation``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string

from gridgov.core.dbfaults import is_db_fault, unavailable_response
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.http_errors import error_for_path


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page: signed in, in the jurisdiction, but no role grants the function."""
    return render(request, "403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 page: absent and outside the jurisdiction are indistinguishable. An unknown path
    under /api/ answers the JSON error envelope, under /open311/ the GeoReport error array."""
    machine = error_for_path(request, 404, "not_found", "not found")
    if machine is not None:
        return machine
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's ``handler500``. A database fault answers 503 (``core.dbfaults``); anything else the
    500 page: Chinese, with the navigation when it can be had.
    When the navigation cannot be read (the database is down: the user, the session and the
    memberships live there) the same page is rendered without the request, so without any
    database read: no user, no navigation, but the same words. Called while the exception is being
    handled, so it is in sys.exc_info()."""
    from gridgov.core.context import current

    if is_db_fault(sys.exc_info()[1]):
        return unavailable_response(request)

    request_id = current().request_id
    try:
        html = render_to_string("500.html", {"request_id": request_id}, request=request)
    except Exception:  # noqa: BLE001 — whatever broke the request may break this render too
        html = render_to_string("500.html", {"request_id": request_id, "nav": [], "user": None})
    return HttpResponseServerError(html)


def page_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; ``Forbidden`` -> the 403 page; ``NotFound``/``Http404`` -> the 404 page."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Forbidden:
            return forbidden(request)
        except (NotFound, Http404):
            return not_found(request)

    return login_required(guarded)
