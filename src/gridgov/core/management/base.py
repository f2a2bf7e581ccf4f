"""The base of gridgov's management commands.

``run(**options)`` returns the exit code (0 = success) instead of printing a return value, so
``gridgov import-persons`` exits 1 when rows were rejected whether it is started as
``gridgov import-persons``, ``gridgov manage import-persons`` or ``call_command``. Each run gets a
request id (channel ``cli``) for the audit rows it writes, like a web request."""

from __future__ import annotations

import os
import sys
import time
import uuid

from django.core.management.base import BaseCommand

from gridgov.core import context


def cli_context():
    """The request context of one command run (``cli-<pid>-<time>-<random>``)."""
    return context.bind(request_id=f"cli-{os.getpid()}-{int(time.time())}-{uuid.uuid4().hex[:6]}", channel="cli")


class GridgovCommand(BaseCommand):
    # Django's generic options stay accepted but out of the help (the dispatcher has set Django up);
    # no system checks before a run (as before: they belong to `gridgov check`).
    suppressed_base_arguments = {"--version", "--settings", "--pythonpath", "--traceback", "--no-color",
                                 "--force-color"}
    requires_system_checks: list = []
    #: the exit code of the last run (read by the ``gridgov`` dispatcher)
    exit_code = 0

    def run(self, *args, **options) -> int | None:  # pragma: no cover - every command overrides it
        raise NotImplementedError

    def handle(self, *args, **options) -> None:
        with cli_context():
            self.exit_code = int(self.run(*args, **options) or 0)

    def run_from_argv(self, argv) -> None:
        super().run_from_argv(argv)
        if self.exit_code:
            sys.exit(self.exit_code)

    def error(self, text: str) -> None:
        """One line ``error: …`` on standard error (no colour codes: scripts read it)."""
        self.stderr.write(f"error: {text}", style_func=lambda s: s)
