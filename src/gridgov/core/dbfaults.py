"""A database fault answers 503 with Retry-After, never Django's HTML 500 (issue 15, finding 5).

``django.db.OperationalError`` and ``InterfaceError`` (the server went away, a connection was
terminated, the SQLite file cannot be opened) are mapped, by path, to:

- ``/api/v1/...``: the JSON error envelope, code ``database_unavailable``;
- ``/open311/...``: the GeoReport v2 error array (XML when the path ends in ``.xml``, else JSON);
- anything else: a small plain page in the request's language (Chinese first).

Nothing here touches the database (no session, no user, no template context processors). The API
maps the errors in its own exception handlers (``gridgov.api``); everything else reaches Django's
``handler500`` (``gridgov.core.pages.server_error``), which calls :func:`unavailable_response`.
``CONN_HEALTH_CHECKS`` (settings) drops a broken persistent connection at the start of the next
request, so one fault costs the requests in flight, not the rest of the connection's life.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from gridgov.core.http_errors import error_for_path

DB_FAULTS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def is_db_fault(exc: BaseException | None) -> bool:
    return isinstance(exc, DB_FAULTS)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    message = _("The database is unavailable for a moment. Please try again shortly.")
    response = error_for_path(request, 503, "database_unavailable", message)
    if response is None:
        title = _("Service temporarily unavailable")
        body = format_html('<!doctype html>\n<html lang="{}"><head><meta charset="utf-8"><title>{}</title>'
                           '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
                           "<body><h1>{}</h1><p>{}</p></body></html>",
                           get_language() or "zh-hans", title, title, message)
        response = HttpResponse(body, content_type="text/html; charset=utf-8", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
