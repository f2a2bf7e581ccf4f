"""Run a pure `gridgov` command (one that must work without Django or a database) in a fresh
interpreter and fail if it imported Django; shared by the detect and quality command tests."""

from __future__ import annotations

import os
import subprocess
import sys


def run_without_django(argv: list[str]) -> subprocess.CompletedProcess:
    script = (
        "import sys\n"
        "from gridgov import cli\n"
        f"code = cli.main({argv!r})\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'imported Django'\n"
        "sys.exit(code)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "GRIDGOV"))}
    env["GRIDGOV_DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"  # unusable if ever touched
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
