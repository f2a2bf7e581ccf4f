"""Subcommands contributed by apps. Each registrar adds its subparsers to the ``gridgov`` CLI."""

REGISTRARS: list = []
