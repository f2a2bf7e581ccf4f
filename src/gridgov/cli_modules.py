"""Subcommands contributed by apps. Each registrar adds its subparsers to the ``gridgov`` CLI."""

from gridgov.cases.cli import register as _cases
from gridgov.geo.cli import register as _geo

REGISTRARS: list = [_geo, _cases]
