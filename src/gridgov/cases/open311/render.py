"""Rendering Open311 payloads as JSON or XML (pure: no Django)."""

from __future__ import annotations

import json
from datetime import datetime
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# list field -> element name of its items in XML
ITEM_TAGS = {"attributes": "attribute", "values": "value", "notes": "note", "formats": "format",
             "endpoints": "endpoint", "photos": "photo", "keywords": "keyword"}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def w3c(value: datetime | None) -> str | None:
    """ISO 8601 (W3C profile) with the timezone, e.g. 2025-10-10T16:00:00+08:00."""
    if value is None:
        return None
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value) or ""
    return str(value)


def _append(parent: ET.Element, tag: str, value) -> None:
    el = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for k, v in value.items():
            _append(el, k, v)
    elif isinstance(value, list):
        item_tag = ITEM_TAGS.get(tag, "item")
        for item in value:
            _append(el, item_tag, item)
    else:
        el.text = _text(value)


def to_xml(root: str, item: str | None, payload) -> bytes:
    """``payload`` a list (each item one ``item`` element) or a dict (fields of ``root``)."""
    el = ET.Element(root)
    if isinstance(payload, list):
        if item is None:
            raise ValueError("a list payload needs the element name of its items")
        for entry in payload:
            _append(el, item, entry)
    else:
        for k, v in payload.items():
            _append(el, k, v)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(el, encoding="utf-8")


def _jsonable(value):
    if isinstance(value, datetime):
        return w3c(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def to_json(payload) -> bytes:
    return json.dumps(_jsonable(payload), ensure_ascii=False).encode()


def errors(items: list[tuple[int, str]]) -> tuple[list[dict], str, str]:
    return [{"code": code, "description": description} for code, description in items], "errors", "error"
