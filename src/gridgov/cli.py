"""The ``gridgov`` command: demo, serve, migrate, createadmin, check, and data import/export."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time


def _setup(env: str | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    if env:
        os.environ.setdefault("GRIDGOV_ENV", env)
    import django

    django.setup()
    from gridgov.core import context

    context._current.set(context.RequestContext(request_id=f"cli-{os.getpid()}-{int(time.time())}",
                                                channel="cli"))


def _migrate(verbose: bool = True) -> None:
    from django.core.management import call_command

    if verbose:
        print("• 数据库迁移 / migrating the database …", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    from gridgov.accounts.services import roles_sync

    roles_sync()


def cmd_migrate(args) -> int:
    _setup()
    _migrate()
    print("  done")
    return 0


def cmd_check(args) -> int:
    _setup()
    from django.core.management import call_command

    call_command("check", deploy=args.deploy, fail_level="WARNING" if args.deploy else "ERROR")
    return 0


def cmd_createadmin(args) -> int:
    _setup()
    from gridgov.accounts import services
    from gridgov.core.errors import GridgovError

    _migrate(verbose=False)
    username = args.username or input("Username: ").strip()
    password = os.environ.get("GRIDGOV_ADMIN_PASSWORD") or getpass.getpass("Password (>= 12 characters): ")
    try:
        user = services.user_create(username=username, password=password, is_staff=True, is_superuser=False)
        services.membership_grant(user=user, role_code="city_admin", jurisdiction=args.jurisdiction)
    except GridgovError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(f"created administrator {user.username} (city_admin @ {args.jurisdiction})")
    return 0


def cmd_demo(args) -> int:
    started = time.monotonic()
    _setup()
    from gridgov.demo import loaders

    _migrate()
    logins = loaders.load_all(scale=args.scale, seed=args.seed, force=args.force)
    print(f"• 演示数据就绪 / demo ready in {time.monotonic() - started:.1f} s (合成数据 synthetic data)")
    _print_logins(logins)
    if args.no_serve:
        return 0
    return _serve(port=args.port, host="127.0.0.1")


def _print_logins(logins: list[tuple[str, str, str, str]]) -> None:
    from gridgov.demo.loaders import DEMO_PASSWORD

    print(f"\n  演示账号 / demo logins (password for all: {DEMO_PASSWORD})")
    for username, role, jurisdiction, _ in logins:
        print(f"    {username:<12} {role:<22} {jurisdiction}")


def _serve(*, port: int, host: str) -> int:
    from gunicorn.app.base import BaseApplication

    from gridgov.wsgi import application

    class App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", int(os.environ.get("GRIDGOV_WORKERS", "2")))
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 4)
            self.cfg.set("timeout", 120)
            self.cfg.set("accesslog", "-" if os.environ.get("GRIDGOV_ACCESS_LOG") else None)

        def load(self):
            return application

    print(f"\n  ➜ http://{host}:{port}/  (Ctrl-C to stop)\n", flush=True)
    App().run()
    return 0


def cmd_serve(args) -> int:
    _setup()
    return _serve(port=args.port, host=args.host)


# The periodic jobs `gridgov worker` runs: (name, import path, period in seconds).
WORKER_JOBS: tuple[tuple[str, str, int], ...] = (
    ("cases escalation", "gridgov.cases.services:cases_escalate", 300),
    ("care daily jobs", "gridgov.care.services:system_jobs", 24 * 3600),
    ("safety weekly scan", "gridgov.safety.services:scan_run", 24 * 3600),
)


def cmd_worker(args) -> int:
    """Run the periodic jobs (deadline escalation every 5 minutes, care jobs daily). No broker:
    one worker process per installation, started beside `gridgov serve`."""
    _setup()
    import importlib

    from gridgov.core import context

    last: dict[str, float] = {}
    while True:
        for name, path, period in WORKER_JOBS:
            now = time.monotonic()
            if name in last and now - last[name] < period:
                continue
            module, _, attr = path.partition(":")
            with context.bind(channel="worker"):
                result = getattr(importlib.import_module(module), attr)()
            last[name] = now
            shown = result if isinstance(result, dict) else len(result) if hasattr(result, "__len__") else result
            print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {name}: {shown}", flush=True)
        if args.once:
            return 0
        time.sleep(min(60, args.tick))


def cmd_manage(args) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["gridgov manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridgov", description="gridgov — grid-based social governance")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="migrate, load the synthetic demo city and serve it on 127.0.0.1")
    p.add_argument("--scale", choices=["tiny", "small", "city"], default="small")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-serve", action="store_true", help="only prepare the database")
    p.add_argument("--force", action="store_true", help="regenerate even if this demo city is loaded")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="serve with gunicorn (production-grade)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply database migrations and seed roles")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("createadmin", help="create a city administrator")
    p.add_argument("--username")
    p.add_argument("--jurisdiction", default="31", help="code prefix (default 31)")
    p.set_defaults(func=cmd_createadmin)

    p = sub.add_parser("check", help="run Django's system checks")
    p.add_argument("--deploy", action="store_true")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("worker", help="run the periodic jobs (escalation, care daily jobs)")
    p.add_argument("--once", action="store_true", help="run every job once and exit")
    p.add_argument("--tick", type=int, default=60, help="seconds between checks (at most 60)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("manage", help="any Django management command")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)

    _add_extensions(sub)
    return parser


def _add_extensions(sub) -> None:
    """Module commands (import/export) registered by the apps."""
    from gridgov import cli_modules

    for register in cli_modules.REGISTRARS:
        register(sub)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
