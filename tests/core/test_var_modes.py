"""The local state folder holds identity numbers (the SQLite database) and the secret key: the
folder is created 0700 and the files 0600 whatever the umask, and `gridgov check --deploy` warns
about wider modes (gridgov.W110 folder, gridgov.W111 file)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

FIRST_RUN = """
import os, sys
os.umask(0o022)
from gridgov import cli
from django.db import connection
connection.ensure_connection()
with connection.cursor() as c:
    c.execute("CREATE TABLE t (x integer)")
    c.execute("INSERT INTO t VALUES (1)")
connection.close()
"""


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDGOV_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(GRIDGOV_VAR_DIR=str(var), GRIDGOV_ENV="development", DJANGO_SETTINGS_MODULE="gridgov.settings")
    return env


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _run(code: str, var: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], env=_env(var), capture_output=True, text=True,
                          timeout=120)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_var_folder_and_files_are_private_under_a_permissive_umask(tmp_path):
    var = tmp_path / "var"
    code = FIRST_RUN.replace("from gridgov import cli", "import django; django.setup()")
    done = _run(code, var)
    assert done.returncode == 0, done.stderr
    assert _mode(var) == 0o700
    db = var / "gridgov.sqlite3"
    assert _mode(db) == 0o600
    assert _mode(var / "secret_key") == 0o600
    for extra in (var / "gridgov.sqlite3-wal", var / "gridgov.sqlite3-shm"):
        if extra.exists():  # WAL files take the database file's mode
            assert _mode(extra) == 0o600


CHECK = "import sys; from gridgov import cli; sys.exit(cli.main(sys.argv[1:]))"


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_check_deploy_warns_about_wider_modes(tmp_path):
    var = tmp_path / "var"
    assert _run(FIRST_RUN.replace("from gridgov import cli", "import django; django.setup()"), var).returncode == 0
    out = _run(CHECK, var, "check", "--deploy")
    assert "gridgov.W110" not in out.stdout + out.stderr and "gridgov.W111" not in out.stdout + out.stderr
    var.chmod(0o755)
    (var / "gridgov.sqlite3").chmod(0o644)
    (var / "secret_key").chmod(0o640)
    out = _run(CHECK, var, "check", "--deploy")
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert "gridgov.W110" in text and str(var) in text and "0755" in text
    assert f"(gridgov.W111) the file {var / 'gridgov.sqlite3'} is readable by other users (mode 0644)" in text
    assert f"(gridgov.W111) the file {var / 'secret_key'} is readable by other users (mode 0640)" in text
