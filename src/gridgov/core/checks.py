"""System checks of the local state (`gridgov check --deploy`).

``gridgov.W110``: the state folder (``GRIDGOV_VAR_DIR``, or the SQLite database's folder) is open to
the group or others (wider than 0700). ``gridgov.W111``: the SQLite database file or the secret key
file is (wider than 0600): the database holds identity numbers. Each names the fix (chmod).
"""

from __future__ import annotations

import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning


def mode_warnings(folders: list[Path], files: list[Path]) -> list[CheckWarning]:
    """A warning per existing folder wider than 0700 and per existing file wider than 0600."""
    out = []
    for folder in dict.fromkeys(folders):
        if folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) & 0o077:
            mode = stat.S_IMODE(folder.stat().st_mode)
            out.append(CheckWarning(f"the folder {folder} is open to other users (mode {mode:04o})",
                                    hint=f"chmod 700 {folder}", id="gridgov.W110"))
    for path in dict.fromkeys(files):
        if path.is_file() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            mode = stat.S_IMODE(path.stat().st_mode)
            out.append(CheckWarning(f"the file {path} is readable by other users (mode {mode:04o})",
                                    hint=f"chmod 600 {path}", id="gridgov.W111"))
    return out


def _sqlite_files() -> list[Path]:
    out = []
    for config in settings.DATABASES.values():
        name = str(config.get("NAME") or "")
        if config.get("ENGINE") == "django.db.backends.sqlite3" and name and name != ":memory:" \
                and not name.startswith("file:"):
            out.append(Path(name))
    return out


@register(Tags.security, deploy=True)
def check_state_modes(app_configs=None, **kwargs) -> list[CheckWarning]:
    databases = _sqlite_files()
    folders = [Path(settings.VAR_DIR)] + [p.parent for p in databases]
    files = databases + [p.with_name(p.name + suffix) for p in databases for suffix in ("-wal", "-shm")]
    files.append(Path(settings.VAR_DIR) / "secret_key")
    return mode_warnings(folders, files)
