"""The one optimistic-lock update (DESIGN.md, Workflows).

SQLite has no ``SELECT … FOR UPDATE``; a change is a conditional UPDATE instead::

    UPDATE t SET version = version + 1, updated_at = now, … WHERE id = ? AND version = ?

Exactly one of two racing writers matches the row; the other matches nothing and gets
``Conflict`` (409 ``stale_version``) with nothing changed.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone

from gridgov.core.errors import Conflict

STALE = "stale_version"


def update_versioned(model: type[models.Model], pk: Any, version: int, *, raise_conflict: bool = True,
                     message: str = "the record was changed by someone else; reload and try again",
                     **values: Any) -> bool:
    """Apply ``values`` to row ``pk`` of ``model`` if its version is still ``version``.

    The version goes up by one and ``updated_at`` (when the model has it and ``values`` does not
    set it) becomes now. Returns True when the row was changed. A stale version raises
    ``Conflict(code="stale_version")``, or returns False with ``raise_conflict=False`` (for
    background jobs that skip a row someone else just changed)."""
    field_names = {f.name for f in model._meta.concrete_fields}
    if "updated_at" in field_names and "updated_at" not in values:
        values["updated_at"] = timezone.now()
    won = model._default_manager.filter(pk=pk, version=version).update(version=F("version") + 1, **values)
    if not won and raise_conflict:
        raise Conflict(message, code=STALE)
    return bool(won)
