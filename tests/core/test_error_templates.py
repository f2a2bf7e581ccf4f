"""No message a person reads is built with an f-string: a refusal raised with ``f"…"`` cannot be
translated (core.i18n looks the whole text up). Templates carry ``params`` instead
(``FieldError(field, "%(value)s is not a date", params=...)``, ``Conflict("…", params=...)``).

Scanned: every ``raise X(...)`` and ``report.add(...)`` / ``out.problem(...)`` in the package (not
migrations, not the demo generator). The allow-list holds the raises left in English, each with
its reason: programmer errors (a wrong type passed by code, a broken data file shipped with the
package), settings errors for the operator before Django (and its translations) is set up, and the
pure command-line tool that runs without Django."""

from __future__ import annotations

import ast
from pathlib import Path

import gridgov

PACKAGE = Path(gridgov.__file__).parent

# the message is the second argument of these (the first is the field name)
FIELD_FIRST = {"FieldError", "FieldProblem", "add", "TableError", "LimitExceeded", "ErrorDetail"}
# out.problem(row, field, code, message) / out.repaired(...) in geo/geojson.py
FOURTH = {"problem", "repaired"}

PROGRAMMER = "programmer error: a wrong type or value passed by code, never by a person"
DATA_FILE = "a broken data file shipped with the package (code tables, programme definitions)"
DEMO_ONLY = "builds demo data from valid parts; a person never supplies these arguments"
ALLOWED: dict[tuple[str, str], str] = {
    ("accounts/services.py", "ValueError"): "role definitions in code name unknown capabilities: " + PROGRAMMER,
    ("care/codes.py", "ValueError"): DATA_FILE,
    ("care/codes.py", "KeyError"): PROGRAMMER,
    ("care/schedule.py", "ValueError"): DATA_FILE,
    ("cases/workcal.py", "ValueError"): "GRIDGOV working hours setting, checked at start-up: settings error",
    ("core/audit.py", "ValueError"): PROGRAMMER,
    ("core/codes.py", "FieldError"): "the value is not a string / the sequence not an int: " + PROGRAMMER,
    ("core/idnumber.py", "FieldError"): "check_char/make_identity_number (demo) and type checks: " + DEMO_ONLY,
    ("core/uscc.py", "FieldError"): "uscc_check_char/make_uscc (demo) and type checks: " + DEMO_ONLY,
    ("core/db_adapter.py", "RuntimeError"): "an unsupported database vendor in the settings: settings error",
    ("geo/locate.py", "TypeError"): PROGRAMMER,
    ("geo/locate.py", "ValueError"): "a damaged locator file (meta.json and the arrays GridLocator.save wrote, "
                                     "or another format): for the operator or programmer who built it",
    ("prevention/allocate.py", "ValueError"): "the pure kernel of gridgov allocate, which runs without Django "
                                              "(no catalogue); plan_services checks every value a person gives "
                                              "first, the command's analyst reads it in English",
    ("prevention/allocate_cli.py", "ArgumentTypeError"): "gridgov allocate runs without Django (no catalogue)",
    ("quality/cli.py", "ArgumentTypeError"): "gridgov quality estimate runs without Django (no catalogue)",
    ("quality/link_cli.py", "ArgumentTypeError"): "gridgov quality link runs without Django (no catalogue)",
    ("quality/linkage.py", "ValueError"): "an unknown engine name; argparse choices and the pages check it first: "
                                          + PROGRAMMER,
    ("quality/estimate.py", "ValueError"): "the pure estimator of gridgov quality estimate, which runs without "
                                           "Django (no catalogue); the analyst reads it in English",
    ("quality/sampling.py", "ValueError"): "quality.services checks every value a person gives first (margin, "
                                           "rate, design effect, allocation, a non-empty frame): " + PROGRAMMER,
    ("registry/db_adapter.py", "TypeError"): PROGRAMMER,
    ("registry/tabular.py", "LimitExceeded"): "shown through imports._limit_message(code, limit), translated",
    ("safety/detect.py", "ValueError"): "the method name is checked by argparse choices first: " + PROGRAMMER,
    ("safety/detect_cli.py", "ArgumentTypeError"): "gridgov detect runs without Django (no catalogue)",
    ("safety/runs.py", "RuntimeError"): "a concurrency guard in the background task (a chunk done by two "
                                        "workers): a programmer error, logged by the worker, never shown to a person",
    ("settings.py", "ImproperlyConfigured"): "settings errors are raised before translations exist",
}


def _message_arg(call: ast.Call, name: str) -> ast.expr | None:
    index = 1 if name in FIELD_FIRST else 3 if name in FOURTH else 0
    return call.args[index] if len(call.args) > index else None


def _f_string_messages() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if "/migrations/" in rel or rel.startswith("demo/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            call = node.exc if isinstance(node, ast.Raise) else node if isinstance(node, ast.Call) else None
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if not isinstance(node, ast.Raise) and name not in FIELD_FIRST | FOURTH:
                continue
            arg = _message_arg(call, name)
            if any(k.arg == "template" for k in call.keywords):  # ErrorDetail(..., template=, params=)
                continue
            if isinstance(arg, ast.JoinedStr) and (rel, name) not in ALLOWED:
                found.append((rel, node.lineno, name))
    return found


def test_no_message_is_an_f_string():
    assert _f_string_messages() == []


def test_the_scan_finds_an_f_string_message(tmp_path, monkeypatch):
    """The scan itself: an f-string refusal in a module is reported (and the allow-list is not a
    blanket pass for a module)."""
    (tmp_path / "things").mkdir()
    (tmp_path / "things" / "services.py").write_text(
        'def f(n):\n    raise Conflict(f"cannot go to {n}")\n'
        'def g(report, n):\n    report.add("field", f"{n} is wrong", row=1)\n'
        'def h(n):\n    raise FieldError(f"attribute[{n}]", "required")\n', encoding="utf-8")
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGE"]), "PACKAGE", tmp_path)
    assert _f_string_messages() == [("things/services.py", 2, "Conflict"), ("things/services.py", 4, "add")]


def test_every_allowed_module_still_raises_what_it_is_allowed():
    """An entry that no longer matches anything is stale: remove it."""
    raised = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if isinstance(_message_arg(node.exc, name), ast.JoinedStr):
                    raised.add((rel, name))
    assert set(ALLOWED) - raised == set()
