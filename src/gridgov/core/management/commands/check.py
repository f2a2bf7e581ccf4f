"""`gridgov check [--deploy]` (and `manage check`): Django's system checks; with ``--deploy`` a
warning fails too (``--fail-level WARNING`` unless another level is given). Checks that read the
database (tagged ``database``, e.g. the working calendar's W101/W102) run against ``default`` unless
other ``--database`` options are given; other commands (migrate, runserver) skip them."""

from __future__ import annotations

from django.core.management.commands import check


class Command(check.Command):
    help = "run Django's system checks (--deploy: production settings; warnings fail)"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(fail_level=None, databases=["default"])

    def handle(self, *app_labels, **options):
        if options["fail_level"] is None:
            options["fail_level"] = "WARNING" if options["deploy"] else "ERROR"
        return super().handle(*app_labels, **options)
