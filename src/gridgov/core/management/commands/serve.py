"""`gridgov serve [--host H] [--port N]`: gunicorn (GRIDGOV_WORKERS processes of 4 threads) on the
WSGI application. Background work needs `gridgov worker` beside it (docs/deployment.md).

In production whitenoise serves static files from STATIC_ROOT only: before starting, ``serve``
collects them (``collectstatic``) when any is missing there, and refuses to start (exit 2) when
it cannot, instead of serving pages without their styles and scripts."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from gridgov.core.management.base import GridgovCommand


class StaticFilesMissing(Exception):
    pass


def _missing_static() -> list[str]:
    from pathlib import Path

    from django.contrib.staticfiles import finders

    root = Path(settings.STATIC_ROOT)
    return sorted({path for finder in finders.get_finders() for path, _ in finder.list([])
                   if not (root / path).is_file()})


def ensure_static(*, stdout) -> None:
    """Production only: every static file in STATIC_ROOT, collected now if need be; else
    ``StaticFilesMissing`` naming the first missing file and the reason."""
    if not settings.PRODUCTION:
        return
    missing = _missing_static()
    if not missing:
        return
    from django.core.management import call_command

    if stdout is not None:
        stdout.write(_("collecting %(n)s static file(s) into %(root)s …") % {"n": len(missing),
                                                                             "root": settings.STATIC_ROOT} + "\n")
    try:
        call_command("collectstatic", interactive=False, verbosity=0)
    except OSError as exc:
        raise StaticFilesMissing(_("%(first)s (and %(more)s more) not in STATIC_ROOT %(root)s: collecting failed "
                                   "(%(why)s)") % {"first": missing[0], "more": len(missing) - 1,
                                                   "root": settings.STATIC_ROOT, "why": exc.strerror or exc}) from None
    missing = _missing_static()
    if missing:
        raise StaticFilesMissing(_("%(first)s (and %(more)s more) still not in STATIC_ROOT %(root)s after "
                                   "collecting") % {"first": missing[0], "more": len(missing) - 1,
                                                    "root": settings.STATIC_ROOT})


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
        try:
            ensure_static(stdout=self.stdout)
        except StaticFilesMissing as exc:
            self.error(_("static files missing, not starting: %(why)s; run `gridgov manage collectstatic` "
                         "as a user who may write there, or set GRIDGOV_VAR_DIR") % {"why": exc})
            return 2
        serve(host=host, port=port, stdout=self.stdout)
        return 0
