"""The grid locator's files under ``VAR_DIR/locator/``: built once per grid version by the task
worker, memory-mapped by every web process.

* The grids' version is ``geo:version`` (``core.SystemState``): ``{"version": n, "token": hex}``;
  ``geo_bump_version`` (every grid write) increments ``n`` and draws a new ``token``, so a database
  restored or re-created never meets the file of another database's grids of the same number.
* ``locator_build()`` (task ``geo.tasks.locator_build``: enqueued after every grid write commits,
  and every 5 minutes by the schedule, which covers a worker's start) reads the version, then the
  grids, builds :class:`~gridgov.geo.locate.GridLocator` and writes its files into a temporary
  directory, published by ``os.replace`` as ``grids-<n>-<token>``: a reader sees a complete
  directory or none. Older directories are removed (a process that still maps one keeps its pages
  until it lets go: POSIX unlink semantics).
* ``locator_load(key)``: the locator of version ``key`` from its files (memory-mapped), or None when
  that version has no file yet; ``geo.selectors`` then answers from the database (exact, slower) and
  never builds the locator in a request.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from pathlib import Path

import shapely
from django.conf import settings

from gridgov.core.models import SystemState
from gridgov.geo.locate import GridLocator
from gridgov.geo.models import Grid, boundary_wkb

log = logging.getLogger("gridgov.geo")
VERSION_KEY = "geo:version"
PREFIX = "grids-"
#: how many published versions stay on disk besides the newest (processes may still map them)
KEEP_OLD = 1


def locator_dir() -> Path:
    return Path(settings.VAR_DIR) / "locator"


def version_key() -> str | None:
    """``"<n>-<token>"`` of the stored grid version; None without a version row or token (no file
    can be trusted: the caller answers from the database)."""
    value = SystemState.objects.filter(key=VERSION_KEY).values_list("value", flat=True).first()
    if not value or not value.get("token"):
        return None
    return f"{int(value.get('version', 0))}-{value['token']}"


def new_token() -> str:
    return uuid.uuid4().hex[:16]


def path_for(key: str) -> Path:
    return locator_dir() / f"{PREFIX}{key}"


def locator_load(key: str | None) -> GridLocator | None:
    """The published locator of version ``key`` (memory-mapped), or None when there is none."""
    if key is None:
        return None
    path = path_for(key)
    if not (path / "meta.json").is_file():
        return None
    try:
        return GridLocator.load(path, mmap=True)
    except (OSError, ValueError) as exc:  # a damaged directory: answer from the database, rebuild later
        log.warning("locator %s unreadable: %s", path, exc)
        return None


def locator_build(*, force: bool = False) -> dict:
    """Build and publish the locator of the current grid version unless its directory exists
    (``force``: build again). Runs in the task worker or a command, never in a request."""
    from gridgov.geo.services import geo_bump_version

    key = version_key()
    if key is None:  # grids written before versions had tokens (or never bumped): give them one
        geo_bump_version(enqueue=False)
        key = version_key()
        assert key is not None  # geo_bump_version just wrote a token
    final = path_for(key)
    if final.is_dir() and not force:
        return {"version": key, "built": False}
    rows = list(Grid.objects.filter(boundary__isnull=False).order_by("code").values_list("code", "boundary"))
    locator = GridLocator([r[0] for r in rows], shapely.from_wkb([boundary_wkb(r[1]) for r in rows]))
    locator_dir().mkdir(parents=True, exist_ok=True)
    tmp = locator_dir() / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        locator.save(tmp)
        if force and final.is_dir():
            shutil.rmtree(final, ignore_errors=True)
        try:
            os.replace(tmp, final)
        except OSError:  # another builder published this version first: theirs is as good
            if not (final / "meta.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    removed = _prune(keep=final)
    return {"version": key, "built": True, "grids": len(rows), "removed": removed}


def _prune(*, keep: Path) -> int:
    """Remove published directories older than the newest ``KEEP_OLD`` besides ``keep``, and
    temporary ones left by a builder that died (older than an hour)."""
    import time

    base = locator_dir()
    others = sorted((p for p in base.glob(f"{PREFIX}*") if p.is_dir() and p != keep),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    removed = 0
    for p in others[KEEP_OLD:]:
        shutil.rmtree(p, ignore_errors=True)
        removed += 1
    for p in base.glob(".tmp-*"):
        try:
            if time.time() - p.stat().st_mtime > 3600:
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            pass
    return removed
