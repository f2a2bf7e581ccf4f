"""`gridgov serve [--host H] [--port N]`: gunicorn (GRIDGOV_WORKERS processes of 4 threads) on the
WSGI application. Background work needs `gridgov worker` beside it (docs/deployment.md)."""

from __future__ import annotations

from django.conf import settings

from gridgov.core.management.base import GridgovCommand


def serve(*, host: str, port: int, stdout) -> None:
    from gunicorn.app.base import BaseApplication

    from gridgov.wsgi import application

    class App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", settings.GRIDGOV_WORKERS)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 4)
            self.cfg.set("timeout", 120)
            self.cfg.set("accesslog", "-" if settings.GRIDGOV_ACCESS_LOG else None)

        def load(self):
            return application

    stdout.write(f"\n  ➜ http://{host}:{port}/  (Ctrl-C to stop)\n")
    stdout.flush()
    App().run()


class Command(GridgovCommand):
    help = "serve with gunicorn (production-grade)"

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def run(self, *, host, port, **options) -> int:
        serve(host=host, port=port, stdout=self.stdout)
        return 0
