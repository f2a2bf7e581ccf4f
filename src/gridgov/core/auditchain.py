"""The hash chain over audit rows (issue 15, finding 6). Pure: no Django.

Each row stores ``prev_hash`` (the previous row's ``row_hash``; 64 zeros for the first row) and
``row_hash = sha256(prev_hash + "\\n" + canonical(row))``. Editing a row changes its hash; deleting
or inserting a row, or editing one and recomputing its hash, breaks the next row's link.

The canonical form (version 1; never change it without a migration that re-chains) is the compact
JSON array, keys sorted, UTF-8, of the row's fields in ``FIELDS`` order: ``at`` as UTC
``YYYY-MM-DDTHH:MM:SS.ffffffZ``, ``ip`` as its normalised text ("" when absent), floats with an
integral value written as integers (PostgreSQL's jsonb keeps ``3.0`` as ``3``), the rest as stored.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
FIELDS = ("at", "actor_id", "actor_username", "role", "jurisdiction", "action", "object_type", "object_id",
          "outcome", "reason", "changes", "request_id", "ip", "channel")


def _numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _numbers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_numbers(v) for v in value]
    return value


def canonical(row: Mapping[str, Any]) -> bytes:
    at: datetime = row["at"]
    ip = row["ip"]
    values = [at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), *(row[f] for f in FIELDS[1:10]),
              _numbers(row["changes"]), row["request_id"], str(ipaddress.ip_address(ip)) if ip else "",
              row["channel"]]
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(row)).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first broken link: the row's id and what is wrong with it."""

    row_id: int
    problem: str  # "previous" (its prev_hash is not the previous row's hash) or "content"


def verify(rows: Iterable[Mapping[str, Any]]) -> tuple[int, Break | None]:
    """Walk ``rows`` (in id order, each with ``id``, ``prev_hash``, ``row_hash`` and ``FIELDS``):
    the number of rows checked and the first break, or None when the chain is intact."""
    prev = GENESIS
    n = 0
    for row in rows:
        n += 1
        if row["prev_hash"] != prev:
            return n, Break(row["id"], "previous")
        if row["row_hash"] != row_hash(prev, row):
            return n, Break(row["id"], "content")
        prev = row["row_hash"]
    return n, None


def chain(rows: Iterable[Mapping[str, Any]]) -> Iterator[tuple[int, str, str]]:
    """(id, prev_hash, row_hash) for rows in id order that have no chain yet (the migration)."""
    prev = GENESIS
    for row in rows:
        h = row_hash(prev, row)
        yield row["id"], prev, h
        prev = h
