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
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults

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
    """Django's ``handler500``: a database fault answers 503 (``core.dbfaults``), anything else
    Django's plain 500 page. Called while the exception is being handled, so it is in sys.exc_info()."""
    if is_db_fault(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request)


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
