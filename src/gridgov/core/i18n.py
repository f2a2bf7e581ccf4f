"""Error texts in the reader's language.

Pure modules (core/codes.py, core/idnumber.py …) cannot call gettext: they raise ``FieldError``
with an English template and its params (``ErrorDetail.template``/``params``). This module, on the
Django side, translates such a detail in the active language (the request's, or the language a
background import was started in); a message without a template is looked up as it is. The
machine ``code`` never changes. Errors other than ``FieldError`` carry ``template``/``params`` the
same way (``Conflict("cannot go from %(old)s to %(new)s", params=...)``); ``text_of`` is what a page
or an operator's command shows."""

from __future__ import annotations

from django.utils.translation import gettext, pgettext

from gridgov.core.errors import ErrorDetail, FieldError, GridgovError, Phrase


def _localised(params: dict | None) -> dict:
    """``params`` with every ``Phrase`` in it translated (recursively)."""
    return {k: phrase_text(v) if isinstance(v, Phrase) else v for k, v in (params or {}).items()}


def phrase_text(phrase: Phrase) -> str:
    """A ``Phrase`` in the active language."""
    try:
        return gettext(phrase.template) % _localised(phrase.params) if phrase.params else gettext(phrase.template)
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
        return str(phrase)


def message_of(detail: ErrorDetail) -> str:
    if detail.template is not None:
        try:
            return gettext(detail.template) % _localised(detail.params)
        except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
            return detail.message
    return gettext(detail.message)


def exc_message(exc: GridgovError) -> str:
    """The error's own message (not its details') in the active language."""
    template, params = getattr(exc, "template", None), getattr(exc, "params", None)
    if template is not None and not isinstance(exc, FieldError):
        try:
            return gettext(template) % _localised(params)
        except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
            return exc.message
    return gettext(exc.message)


def field_label(field: str) -> str | None:
    """The reader's name of an input field (message context "error field"), None if it has none."""
    label = pgettext("error field", field)
    return None if label == field else label


def detail_text(d: ErrorDetail) -> str:
    """One problem as a person reads it: "row 3: field name: reason" (without the parts it lacks)."""
    reason = message_of(d)
    label = field_label(d.field)
    text = gettext("%(field)s: %(reason)s") % {"field": label, "reason": reason} if label else reason
    if d.row is not None:
        text = gettext("row %(row)s: ") % {"row": d.row} + text
    return text


def text_of(exc: GridgovError) -> str:
    """What a page (``messages.error``) or an operator's command shows for ``exc``, in the active
    language: a field error as "field name: reason" (the reason alone when the field has no
    name for people), anything else as its message."""
    if isinstance(exc, FieldError) and len(exc.details) == 1:
        return detail_text(exc.details[0])
    return exc_message(exc)


def texts_of(exc: GridgovError) -> list[str]:
    """Every problem of ``exc`` (a form's list of errors): its details, or its message."""
    return [detail_text(d) for d in exc.details] or [exc_message(exc)]


def translated(detail: ErrorDetail) -> ErrorDetail:
    """The same detail with its message in the active language."""
    return ErrorDetail(detail.field, message_of(detail), detail.code, detail.row, detail.template, detail.params)


def error_envelope(exc: GridgovError) -> dict:
    """``exc.as_envelope()`` with its message and every detail's message in the active language
    (``code`` and ``field`` unchanged)."""
    out = exc.as_envelope()
    out["error"]["details"] = [translated(d).as_dict() for d in exc.details]
    out["error"]["message"] = api_text(exc)
    return out


def api_text(exc: GridgovError) -> str:
    """The message as an API or a command states it, in the active language: a field error as
    "field: reason" with the field's parameter name (an operator types it), anything else as its
    message."""
    if isinstance(exc, FieldError) and len(exc.details) == 1:
        d = exc.details[0]
        prefix = gettext("row %(row)s: ") % {"row": d.row} if d.row is not None else ""
        return f"{prefix}{d.field}: {message_of(d)}"
    return exc_message(exc)
