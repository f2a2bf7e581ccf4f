"""Errors every layer raises, and their JSON envelope.

API errors are rendered as ``{"error": {"code": ..., "message": ..., "details": [...]}}``.
A detail names the field (and, for imports, the row or feature index) and why it failed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Phrase:
    """A part of an error message (``"feature %(index)s"``) with its params, which may be phrases
    too: ``str()`` is the English text; core.i18n translates it inside the message it is a param of."""

    template: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return self.template % self.params if self.params else self.template


@dataclass(frozen=True)
class ErrorDetail:
    """``message`` is the English text; ``template`` + ``params``, when set, are what it was made of
    (``message == template % params``), so a Django layer can translate it (core.i18n.message_of)."""

    field: str
    message: str
    code: str = "invalid"
    row: int | None = None
    template: str | None = dataclasses.field(default=None, compare=False)
    params: dict[str, Any] | None = dataclasses.field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "code": self.code, "message": self.message}
        if self.row is not None:
            out["row"] = self.row
        return out


class GridgovError(Exception):
    """Base of all domain errors; carries an HTTP status and a stable machine code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: list[ErrorDetail] | None = None, code: str | None = None,
                 params: dict[str, Any] | None = None):
        """With ``params``, ``message`` is an English template (``"cannot go from %(old)s to %(new)s"``)
        filled with them; template and params stay on the error for translation (core.i18n)."""
        self.template = message if params is not None else None
        self.params = params
        if params is not None:
            message = message % params
        super().__init__(message)
        self.message = message
        self.details = list(details or [])
        if code:
            self.code = code

    def as_envelope(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message,
                          "details": [d.as_dict() for d in self.details]}}


class ValidationFailed(GridgovError):
    status = 422
    code = "validation_error"


class FieldError(ValidationFailed):
    """One field is wrong. ``str(exc)`` names the field and the reason."""

    def __init__(self, field_name: str, message: str, *, code: str = "invalid", row: int | None = None,
                 params: dict[str, Any] | None = None):
        """With ``params``, ``message`` is a template (``"%(value)s is not a date"``) filled with them;
        the template and the params stay on the detail for translation."""
        template = message if params is not None else None
        if params is not None:
            message = message % params
        prefix = f"row {row}: " if row is not None else ""
        super().__init__(f"{prefix}{field_name}: {message}",
                         details=[ErrorDetail(field_name, message, code, row, template, params)])
        self.field = field_name
        self.reason = message
        self.reason_code = code
        self.template = template
        self.params = params


class NotFound(GridgovError):
    """Absent, or outside the caller's jurisdiction: the two are indistinguishable."""

    status = 404
    code = "not_found"


class Forbidden(GridgovError):
    """In the jurisdiction but missing the capability."""

    status = 403
    code = "forbidden"


class Conflict(GridgovError):
    """A concurrent change won, or an idempotency key was reused with another payload."""

    status = 409
    code = "conflict"


class RateLimited(GridgovError):
    """Too many requests; ``retry_after`` is the number of seconds until one more is accepted."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None,
                 params: dict[str, Any] | None = None):
        super().__init__(message, code=code, params=params)
        self.retry_after = retry_after


def envelope(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


@dataclass
class ErrorReport:
    """Accumulates per-row problems (imports) so that all of them are reported at once."""

    details: list[ErrorDetail] = field(default_factory=list)

    def add(self, field_name: str, message: str, *, code: str = "invalid", row: int | None = None,
            params: dict[str, Any] | None = None) -> None:
        """With ``params``, ``message`` is an English template filled with them (kept for translation)."""
        if params is not None:
            self.details.append(ErrorDetail(field_name, message % params, code, row, message, params))
        else:
            self.details.append(ErrorDetail(field_name, message, code, row))

    def add_error(self, exc: FieldError, *, row: int | None = None) -> None:
        """Add the problem a ``FieldError`` names (with its template and params)."""
        self.details.append(ErrorDetail(exc.field, exc.reason, exc.reason_code, row, exc.template, exc.params))

    def __bool__(self) -> bool:
        return bool(self.details)

    def raise_if_any(self, message: str, *, params: dict[str, Any] | None = None) -> None:
        if self.details:
            raise ValidationFailed(message, details=self.details, params=params)
