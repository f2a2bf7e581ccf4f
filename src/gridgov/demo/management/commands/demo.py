"""`gridgov demo [--scale tiny|small|city] [--seed N] [--port N] [--no-serve] [--force]`: migrate,
load the synthetic demo city, then serve it on 127.0.0.1 with a `gridgov worker` process beside
gunicorn (so uploads on the demo site are imported). It says first how long the scale takes; another
scale or seed replaces the demo, and refuses (exit 2) without --force when data were entered by hand
since the last load."""

from __future__ import annotations

import subprocess
import sys
import time

from django.core.management import call_command
from django.utils import timezone

from gridgov.core.management.base import GridgovCommand

COUNT_NAMES = {"audit_writes": "审计记录中的写操作", "cases": "新上报事件"}


class Command(GridgovCommand):
    help = "migrate, load the synthetic demo city and serve it (with the worker) on 127.0.0.1"

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["tiny", "small", "city"], default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="only prepare the database")
        parser.add_argument("--force", action="store_true",
                            help="regenerate even if this demo city is loaded; wipes data entered by hand too")

    def run(self, *, scale, seed, port, no_serve, force, **options) -> int:
        from gridgov.accounts import twofactor
        from gridgov.accounts.models import User
        from gridgov.demo import loaders

        started = time.monotonic()
        how = ("估计", "estimated") if scale in loaders.ESTIMATED else ("实测", "measured")
        self.stdout.write(f"• 规模 {scale}：首次生成{loaders.duration_hint(scale)}（双核机器{how[0]}，SQLite），"
                          f"之后再启动只需几秒 / scale {scale}: about {loaders.MEASURED_SECONDS[scale]} s "
                          f"the first time ({how[1]})")
        if scale != "tiny":
            self.stdout.write(f"  更快的试用：make demo SCALE=tiny（{loaders.duration_hint('tiny')}，一个区）"
                              " / quicker: make demo SCALE=tiny (one district)")
        self.stdout.write("• 数据库迁移 / migrating the database …")
        self.stdout.flush()
        call_command("migrate", interactive=False, verbosity=0)
        try:
            logins = loaders.load_all(scale=scale, seed=seed, force=force)
        except loaders.HandEnteredData as exc:
            found = "，".join(f"{COUNT_NAMES.get(k, k)} {v} 条" for k, v in exc.counts.items())
            when = timezone.localtime(exc.loaded_at)
            self.error(f"换用规模 {scale} 会清空现有演示数据，但 {when:%Y-%m-%d %H:%M} 载入演示数据之后"
                       f"还有手工录入的数据（{found}）。确认删除请加 --force 重新运行"
                       f"（gridgov demo --scale {scale} --force 或 make demo SCALE={scale} FORCE=1），"
                       f"否则请继续使用现有规模。/ refusing to wipe data entered by hand; add --force")
            return 2
        self.stdout.write(f"• 演示数据就绪 / demo ready in {time.monotonic() - started:.1f} s (合成数据 synthetic data)")
        self.stdout.write(f"\n  演示账号 / demo logins (password for all: {loaders.DEMO_PASSWORD})")
        for username, role, jurisdiction, _ in logins:
            self.stdout.write(f"    {username:<12} {role:<22} {jurisdiction}")
        with_code = [u for u, *_ in logins if twofactor.is_enrolled(User.objects.get(username=u))]
        self.stdout.write(f"  两步验证 / two-factor sign-in for {', '.join(with_code)}: 在身份验证器应用中手动添加密钥 "
                          f"/ add this key to an authenticator app (time-based, 6 digits): {loaders.DEMO_TOTP_SECRET}")
        for username, role, _, _ in logins:
            if role == "grid_worker":
                for code, name in loaders.capture_places(username):
                    self.stdout.write(f"  网格员 {username} 的网格 / the grid of {username}: {name} ({code})")
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
