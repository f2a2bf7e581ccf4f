"""Server-side masking of identity numbers and phone numbers.

Identity numbers keep the first 6 (address code) and last 4 characters: the birth date is never
shown. Phones keep the first 3 and last 4. ``mask_text`` scrubs any such value out of free text
(log lines, error messages, audit diffs).
"""

from __future__ import annotations

import logging
import re

# 18-char identity numbers (17 digits + digit/X) and the old 15-digit form.
_ID18 = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{5}(\d{4})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_identity_number(value: str | None) -> str:
    if not value:
        return ""
    value = value.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    digits = value.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_text(text: str) -> str:
    """Mask every identity number and mobile number that appears in free text."""
    if not text:
        return text
    text = _ID18.sub(lambda m: m.group(1) + "********" + m.group(2), text)
    text = _ID15.sub(lambda m: m.group(1) + "*****" + m.group(2), text)
    return _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


def mask_value(value):
    """Recursively mask strings inside dicts/lists (audit diffs, exported rows)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v) for v in value]
    return value


class MaskingLogFilter(logging.Filter):
    """Logging filter: no full identity or phone number reaches a log handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug; keep the record
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
