"""Subcommands contributed by apps. Each registrar adds its subparsers to the ``gridgov`` CLI."""

from gridgov.care.cli import register as _care
from gridgov.cases.cli import register as _cases
from gridgov.geo.cli import register as _geo
from gridgov.registry.cli import register as _registry
from gridgov.safety.cli import register as _safety

REGISTRARS: list = [_geo, _registry, _cases, _safety, _care]
