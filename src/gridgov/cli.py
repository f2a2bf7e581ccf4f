"""The ``gridgov`` command: one entry point that only dispatches.

* Pure commands (no database, no Django, fast to start): ``gridgov detect`` (safety/detect_cli.py),
  ``gridgov quality estimate`` (quality/cli.py), ``gridgov allocate`` (prevention/allocate_cli.py).
  Each is a module with ``HELP``, ``add_arguments(parser)`` and ``main(args) -> int``.
* Every other command is a Django management command of a gridgov app
  (``<app>/management/commands/<name>.py``): ``gridgov NAME ...`` sets Django up and runs it with the
  same arguments as ``gridgov manage NAME ...`` would; its exit code is the command's.
* ``gridgov manage ...`` is any Django management command (``django-admin``).

Nothing here is imported by domain code; this module imports Django only after it knows the command
needs it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

#: pure commands: name -> module (HELP, add_arguments(parser), main(args) -> int)
PURE_COMMANDS = {"detect": "gridgov.safety.detect_cli", "quality": "gridgov.quality.cli",
                 "allocate": "gridgov.prevention.allocate_cli"}
DESCRIPTION = "gridgov — grid-based social governance"


def _pure(name: str, argv: list[str]) -> int:
    module = importlib.import_module(PURE_COMMANDS[name])
    parser = argparse.ArgumentParser(prog=f"gridgov {name}", description=module.HELP)
    module.add_arguments(parser)
    return module.main(parser.parse_args(argv))


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()


def _gridgov_commands() -> dict[str, str]:
    """Management commands of gridgov's own apps: name -> app."""
    from django.core.management import get_commands

    return {name: app for name, app in get_commands().items() if app.startswith("gridgov.")}


def _usage(commands: dict[str, str], stream) -> None:
    from django.core.management import load_command_class

    rows = [(name, str(load_command_class(app, name).help)) for name, app in commands.items()]
    rows += [(name, importlib.import_module(module).HELP) for name, module in PURE_COMMANDS.items()]
    rows.append(("manage", "any Django management command (gridgov manage help lists them)"))
    stream.write(f"usage: gridgov COMMAND [options]   (gridgov COMMAND --help: its options)\n\n{DESCRIPTION}\n\n"
                 "commands:\n")
    for name, text in sorted(rows):
        stream.write(f"  {name:<18} {text}\n")


def _django(argv: list[str]) -> int:
    _setup()
    from django.core.management import execute_from_command_line, load_command_class
    from django.core.management.base import CommandError

    commands = _gridgov_commands()
    if not argv or argv[0] in ("-h", "--help"):
        _usage(commands, sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name == "manage":
        execute_from_command_line(["gridgov manage", *rest])
        return 0
    if name not in commands:
        print(f"gridgov: error: unknown command {name!r} (gridgov --help lists the commands)", file=sys.stderr)
        return 2
    command = load_command_class(commands[name], name)
    parser = command.create_parser("gridgov", name)
    try:
        options = vars(parser.parse_args(rest))
    except CommandError as exc:  # a usage error: argparse's own form and exit code
        parser.print_usage(sys.stderr)
        print(f"gridgov {name}: error: {str(exc).removeprefix('Error: ')}", file=sys.stderr)
        return 2
    args = options.pop("args", ())
    options["skip_checks"] = True
    try:
        command.execute(*args, **options)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.returncode
    return getattr(command, "exit_code", 0)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in PURE_COMMANDS:
            return _pure(argv[0], argv[1:])
        return _django(argv)
    except KeyboardInterrupt:
        return 130
    except SystemExit as exc:  # --help, argparse usage errors, Django's own exits
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
