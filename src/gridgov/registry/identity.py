"""Blind index of identity numbers and the masked display form of register rows.

The blind index is HMAC-SHA256 keyed by ``settings.GRIDGOV_BLIND_INDEX_KEY`` or, when unset,
by a key derived from ``SECRET_KEY``: exact-match lookup and uniqueness without comparing the
number itself. Changing the key requires re-indexing: ``gridgov reindex-identity`` (``--check`` tells
whether the stored index matches the key).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings

from gridgov.core.masking import mask_identity_number, mask_phone
from gridgov.registry import codes


@lru_cache(maxsize=4)
def _key(secret: str, override: str) -> bytes:
    if override:
        return override.encode()
    return hmac.new(secret.encode(), b"gridgov.registry.blind-index.v1", hashlib.sha256).digest()


def blind_key() -> bytes:
    return _key(settings.SECRET_KEY, settings.GRIDGOV_BLIND_INDEX_KEY)


def blind_indexer(key: bytes | None = None) -> Callable[[str], str]:
    """``number -> hex HMAC-SHA256`` for many numbers (already normalised: 18 characters, upper
    case): the keyed HMAC is set up once and copied per value."""
    keyed = hmac.new(key or blind_key(), digestmod=hashlib.sha256)

    def index(number: str) -> str:
        h = keyed.copy()
        h.update(number.encode())
        return h.hexdigest()

    return index


def blind_index(number: str | None, key: bytes | None = None) -> str | None:
    """Hex HMAC of the normalised 18-character number (None for None)."""
    if not number:
        return None
    return blind_indexer(key)(number.upper())


def masked_document(person) -> str:
    if person.identity_number:
        return mask_identity_number(person.identity_number)
    return mask_identity_number(person.doc_number) if person.doc_number else ""


def person_brief(person) -> dict:
    """Masked display fields of a person (safe for any list, page, export or other app)."""
    return {
        "id": person.pk,
        "name": person.name,
        "sex": person.sex,
        "sex_label": codes.label(codes.SEX, person.sex),
        "birth_year": person.birth_date.year if person.birth_date else None,
        "document_type": person.doc_type,
        "document_masked": masked_document(person),
        "phone_masked": mask_phone(person.phone),
        "population_type": person.population_type,
        "population_type_label": codes.label(codes.POPULATION_TYPE, person.population_type),
        "status": person.status,
        "grid_code": person.grid_code,
        "house_id": person.house_id,
    }
