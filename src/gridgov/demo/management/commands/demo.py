"""`gridgov demo [--scale tiny|small|city] [--seed N] [--port N] [--no-serve] [--force]`: migrate,
load the synthetic demo city, then serve it on 127.0.0.1 with a `gridgov worker` process beside
gunicorn (so uploads on the demo site are imported)."""

from __future__ import annotations

import subprocess
import sys
import time

from django.core.management import call_command

from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = "migrate, load the synthetic demo city and serve it (with the worker) on 127.0.0.1"

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["tiny", "small", "city"], default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="only prepare the database")
        parser.add_argument("--force", action="store_true", help="regenerate even if this demo city is loaded")

    def run(self, *, scale, seed, port, no_serve, force, **options) -> int:
        from gridgov.demo import loaders

        started = time.monotonic()
        self.stdout.write("• 数据库迁移 / migrating the database …")
        self.stdout.flush()
        call_command("migrate", interactive=False, verbosity=0)
        logins = loaders.load_all(scale=scale, seed=seed, force=force)
        self.stdout.write(f"• 演示数据就绪 / demo ready in {time.monotonic() - started:.1f} s (合成数据 synthetic data)")
        self.stdout.write(f"\n  演示账号 / demo logins (password for all: {loaders.DEMO_PASSWORD})")
        for username, role, jurisdiction, _ in logins:
            self.stdout.write(f"    {username:<12} {role:<22} {jurisdiction}")
        if no_serve:
            return 0
        return self._serve_with_worker(port)

    def _serve_with_worker(self, port: int) -> int:
        from gridgov.core.management.commands.serve import serve

        # The worker is a process of its own (no thread in a web process); it stops with the demo.
        worker = subprocess.Popen([sys.executable, "-m", "gridgov.cli", "worker"])
        self.stdout.write(f"• 后台任务进程 / worker started (pid {worker.pid})")
        try:
            serve(host="127.0.0.1", port=port, stdout=self.stdout)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        return 0
