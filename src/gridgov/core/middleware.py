from __future__ import annotations

import json
import re
import uuid

from django.http import HttpResponseBadRequest, JsonResponse

from gridgov.core import context
from gridgov.core.errors import envelope

_SAFE_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


class RequestContextMiddleware:
    """Gives every request an id (honouring a well-formed X-Request-ID) and binds it for audit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        channel = "api" if request.path.startswith("/api/") else "web"
        with context.bind(request_id=request_id, ip=request.META.get("REMOTE_ADDR"), channel=channel):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        if request.path.startswith("/api/"):
            response["Cache-Control"] = "no-store"
        return response


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class RejectNulMiddleware:
    """PostgreSQL text cannot hold a NUL character (0x00) and SQLite would store it: a NUL in a query
    parameter or in a string of a JSON body is never valid input here, so it is refused with 400
    (the API's error envelope) before any view runs — the same answer on both databases (Open311
    checks its own parameters, to answer in the spec's error array). File
    uploads (multipart) are not inspected. The JSON body is parsed only when its text holds a
    ``\\u0000`` escape or a raw NUL byte."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/open311/"):  # answered in the spec's error array by the Open311 views
            return self.get_response(request)
        where = next((key for key, values in request.GET.lists() if "\x00" in key or any("\x00" in v for v in values)),
                     None)
        if where is None and request.content_type == "application/json" and request.method in ("POST", "PUT", "PATCH"):
            body = request.body
            if b"\x00" in body:
                where = "body"
            elif b"\\u0000" in body:
                try:
                    where = "body" if _has_nul(json.loads(body)) else None
                except ValueError:
                    where = None  # not JSON: the view says so
        if where is None:
            return self.get_response(request)
        message = f"{where.replace(chr(0), '') or 'a parameter'}: contains a NUL character"
        if request.path.startswith("/api/"):
            return JsonResponse(envelope("invalid", message, [{"field": where.replace("\x00", ""), "code": "nul",
                                                                "message": "contains a NUL character"}]), status=400)
        return HttpResponseBadRequest(message)
