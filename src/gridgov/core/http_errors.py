"""Error answers outside a view, shaped by the path: the JSON error envelope under ``/api/`` and the
GeoReport v2 error array under ``/open311/`` (XML when the path ends in ``.xml``, else JSON). Used
by the 404 handler (an unknown API path) and the database-fault handler (``core.dbfaults``).
Nothing here touches the database."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from django.http import HttpRequest, HttpResponse

from gridgov.core.errors import envelope

JSON = "application/json; charset=utf-8"


def error_for_path(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse | None:
    """The machine-readable error for ``request.path``, or None for a page path (the caller renders
    its HTML page)."""
    path = request.path
    if path.startswith("/api/"):
        return HttpResponse(json.dumps(envelope(code, message), ensure_ascii=False), content_type=JSON,
                            status=status)
    if path.startswith("/open311/"):
        if path.endswith(".xml"):
            body = (f'<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>{status}</code>'
                    f"<description>{escape(message)}</description></error></errors>")
            return HttpResponse(body.encode(), content_type="text/xml; charset=utf-8", status=status)
        return HttpResponse(json.dumps([{"code": status, "description": message}], ensure_ascii=False),
                            content_type=JSON, status=status)
    return None
