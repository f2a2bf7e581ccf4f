"""Error texts in the reader's language.

Pure modules (core/codes.py, core/idnumber.py …) cannot call gettext: they raise ``FieldError``
with an English template and its params (``ErrorDetail.template``/``params``). This module, on the
Django side, translates such a detail in the active language (the request's, or the language a
background import was started in); a message without a template is looked up as it is. The
machine ``code`` never changes."""

from __future__ import annotations

from django.utils.translation import gettext

from gridgov.core.errors import ErrorDetail, FieldError, GridgovError


def message_of(detail: ErrorDetail) -> str:
    if detail.template is not None:
        try:
            return gettext(detail.template) % (detail.params or {})
        except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
            return detail.message
    return gettext(detail.message)


def translated(detail: ErrorDetail) -> ErrorDetail:
    """The same detail with its message in the active language."""
    return ErrorDetail(detail.field, message_of(detail), detail.code, detail.row, detail.template, detail.params)


def error_envelope(exc: GridgovError) -> dict:
    """``exc.as_envelope()`` with its message and every detail's message in the active language
    (``code`` and ``field`` unchanged)."""
    out = exc.as_envelope()
    details = [translated(d) for d in exc.details]
    out["error"]["details"] = [d.as_dict() for d in details]
    if isinstance(exc, FieldError) and len(details) == 1:
        d = details[0]
        prefix = gettext("row %(row)s: ") % {"row": d.row} if d.row is not None else ""
        out["error"]["message"] = f"{prefix}{d.field}: {d.message}"
    else:
        out["error"]["message"] = gettext(exc.message)
    return out
