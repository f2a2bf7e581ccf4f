"""Settings: every GRIDGOV_* variable is read in settings.py, documented in the README, and changes
its setting; bad values get a specific error naming the variable."""

import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GRIDGOV_")}
    base.update(env)
    code = "import gridgov.settings"
    return subprocess.run([sys.executable, "-c", code], env=base, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("env,needle", [
    ({"GRIDGOV_ENV": "staging"}, "GRIDGOV_ENV='staging'"),
    ({"GRIDGOV_DEBUG": "maybe"}, "GRIDGOV_DEBUG='maybe'"),
    ({"GRIDGOV_ENV": "production", "GRIDGOV_ALLOWED_HOSTS": "x", "GRIDGOV_DATABASE_URL": "sqlite:///x"},
     "GRIDGOV_SECRET_KEY: required"),
    ({"GRIDGOV_ENV": "production", "GRIDGOV_SECRET_KEY": "short", "GRIDGOV_ALLOWED_HOSTS": "x"},
     "GRIDGOV_SECRET_KEY: must be at least 50"),
    ({"GRIDGOV_DATABASE_URL": "mysql://root@localhost/x"}, "GRIDGOV_DATABASE_URL: unsupported"),
    ({"GRIDGOV_WORKERS": "0"}, "GRIDGOV_WORKERS='0': must be at least 1"),
    ({"GRIDGOV_LOCKOUT_MINUTES": "ten"}, "GRIDGOV_LOCKOUT_MINUTES='ten': expected a whole number"),
    ({"GRIDGOV_ACCESS_LOG": "loud"}, "GRIDGOV_ACCESS_LOG='loud'"),
    ({"GRIDGOV_CASES_WORKING_HOURS": "9-12"}, "GRIDGOV_CASES_WORKING_HOURS='9-12': expected windows"),
    ({"GRIDGOV_CARE_TRANSFER_LIMIT": "5 days"}, "GRIDGOV_CARE_TRANSFER_LIMIT='5 days': expected working days"),
    ({"GRIDGOV_CASES_WORKING_HOURS": "13:00-12:00"}, "GRIDGOV_CASES_WORKING_HOURS='13:00-12:00': expected"),
    ({"GRIDGOV_CASES_WORKING_HOURS": "08:00-12:00,11:00-17:00"}, "GRIDGOV_CASES_WORKING_HOURS='08:00-12:00,11:00-17:00': "
                                                                 "working windows overlap"),
    ({"GRIDGOV_CASES_ESCALATION_AFTER": "street=1d"}, "GRIDGOV_CASES_ESCALATION_AFTER: 'street=1d' is not district=LIMIT"),
    ({"GRIDGOV_CASES_ESCALATION_AFTER": "district=2 days"}, "GRIDGOV_CASES_ESCALATION_AFTER: '2 days' is not a limit"),
])
def test_bad_settings_name_the_variable(tmp_path, env, needle):
    result = _load({"GRIDGOV_VAR_DIR": str(tmp_path), **env})
    assert result.returncode != 0
    assert needle in result.stderr


def test_secret_key_is_generated_once(tmp_path):
    assert _load({"GRIDGOV_VAR_DIR": str(tmp_path)}).returncode == 0
    first = (tmp_path / "secret_key").read_text()
    assert _load({"GRIDGOV_VAR_DIR": str(tmp_path)}).returncode == 0
    assert (tmp_path / "secret_key").read_text() == first and len(first) >= 50


def test_production_settings_pass_django_deploy_checks(tmp_path):
    # (the browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; not in production)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GRIDGOV_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"GRIDGOV_ENV": "production", "GRIDGOV_SECRET_KEY": "k" * 30 + "-Unique-Chars-0123456789-abcdefghij",
                "GRIDGOV_ALLOWED_HOSTS": "gridgov.example", "GRIDGOV_VAR_DIR": str(tmp_path),
                "GRIDGOV_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    # the deploy checks also want an official working calendar for this year and (from 1 November)
    # the next: before it is loaded they warn (tests/cases/test_calendar.py), and a warning fails
    result = subprocess.run([sys.executable, "-m", "gridgov.cli", "check", "--deploy"], env=env,
                            capture_output=True, text=True, timeout=120)
    calendar_warnings = {w for w in ("gridgov.W101", "gridgov.W102") if w in result.stdout + result.stderr}
    assert result.returncode == (1 if calendar_warnings else 0), result.stdout + result.stderr
    if calendar_warnings:
        this_year = datetime.date.today().year
        schedule = tmp_path / "schedule.csv"
        schedule.write_text(f"date,kind,name\n{this_year}-01-01,holiday,元旦\n{this_year + 1}-01-01,holiday,元旦\n",
                            encoding="utf-8")
        for argv in (["migrate", "-v", "0"], ["calendar", "import", str(schedule)]):
            done = subprocess.run([sys.executable, "-m", "gridgov.cli", *argv], env=env, capture_output=True,
                                  text=True, timeout=300)
            assert done.returncode == 0, done.stdout + done.stderr
        result = subprocess.run([sys.executable, "-m", "gridgov.cli", "check", "--deploy"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


# variable -> (value set in the environment, the setting it must change, the value the setting must get);
# none of these values is the default.
EXPECTED = {
    "GRIDGOV_ENV": ("test", "GRIDGOV_ENV", "test"),
    "GRIDGOV_DATABASE_URL": ("sqlite:////tmp/gridgov-elsewhere.sqlite3", "DATABASE_NAME", "/tmp/gridgov-elsewhere.sqlite3"),
    "GRIDGOV_SECRET_KEY": ("s" * 40 + "-Another-Key-0123456789", "SECRET_KEY", "s" * 40 + "-Another-Key-0123456789"),
    "GRIDGOV_DEBUG": ("yes", "DEBUG", True),
    "GRIDGOV_ALLOWED_HOSTS": ("a.example, b.example", "ALLOWED_HOSTS", ["a.example", "b.example"]),
    "GRIDGOV_VAR_DIR": (None, "VAR_DIR", None),  # set to the test's tmp_path below
    "GRIDGOV_SSL_REDIRECT": ("0", "SECURE_SSL_REDIRECT", False),  # production only: checked separately
    "GRIDGOV_WORKERS": ("5", "GRIDGOV_WORKERS", 5),
    "GRIDGOV_STEPUP_MINUTES": ("7", "GRIDGOV_STEPUP_MINUTES", 7),
    "GRIDGOV_AUDIT_DENIED_WINDOW_SECONDS": ("0", "GRIDGOV_AUDIT_DENIED_WINDOW_SECONDS", 0),
    "GRIDGOV_IMPORT_MAX_UPLOAD_MB": ("3", "GRIDGOV_IMPORT_MAX_UPLOAD_MB", 3),
    "GRIDGOV_IMPORT_MAX_UNCOMPRESSED_MB": ("7", "GRIDGOV_IMPORT_MAX_UNCOMPRESSED_MB", 7),
    "GRIDGOV_IMPORT_MAX_RATIO": ("9", "GRIDGOV_IMPORT_MAX_RATIO", 9),
    "GRIDGOV_IMPORT_MAX_ROWS": ("11", "GRIDGOV_IMPORT_MAX_ROWS", 11),
    "GRIDGOV_IMPORT_MAX_CELL_CHARS": ("33", "GRIDGOV_IMPORT_MAX_CELL_CHARS", 33),
    "GRIDGOV_ACCESS_LOG": ("1", "GRIDGOV_ACCESS_LOG", True),
    "GRIDGOV_ADMIN_PASSWORD": ("Correct-Horse-9", "GRIDGOV_ADMIN_PASSWORD", "Correct-Horse-9"),
    "GRIDGOV_LOCKOUT_THRESHOLD": ("3", "GRIDGOV_LOCKOUT_THRESHOLD", 3),
    "GRIDGOV_LOCKOUT_MINUTES": ("45", "GRIDGOV_LOCKOUT_MINUTES", 45),
    "GRIDGOV_SESSION_TOUCH_SECONDS": ("30", "GRIDGOV_SESSION_TOUCH_SECONDS", 30),
    "GRIDGOV_SESSION_ABSOLUTE_SECONDS": ("7200", "GRIDGOV_SESSION_ABSOLUTE_SECONDS", 7200),
    "GRIDGOV_BLIND_INDEX_KEY": ("vault-key-1", "GRIDGOV_BLIND_INDEX_KEY", "vault-key-1"),
    "GRIDGOV_CASES_WORKING_HOURS": ("13:30-17:30, 08:30-12:00", "GRIDGOV_CASES_WORKING_HOURS",
                                    [["08:30", "12:00"], ["13:30", "17:30"]]),
    "GRIDGOV_CASES_ESCALATION_AFTER": ("district=4h", "GRIDGOV_CASES_ESCALATION_AFTER", {"district": "4h"}),
    "GRIDGOV_OPEN311_JURISDICTION": ("huangpu.example", "GRIDGOV_OPEN311_JURISDICTION", "huangpu.example"),
    "GRIDGOV_OPEN311_CONTACT": ("12345 热线", "GRIDGOV_OPEN311_CONTACT", "12345 热线"),
    "GRIDGOV_CARE_RETENTION_DAYS": ("400", "GRIDGOV_CARE_RETENTION_DAYS", 400),
    "GRIDGOV_CARE_TRANSFER_LIMIT": ("3d", "GRIDGOV_CARE_TRANSFER_LIMIT", "3d"),
}


def _documented() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(GRIDGOV_[A-Z0-9_]+)` \|", section, re.M)


def test_every_variable_read_in_settings_is_documented_and_nothing_else_reads_one():
    settings_src = (REPO / "src" / "gridgov" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'"(GRIDGOV_[A-Z0-9_]+)"', settings_src))
    assert sorted(_documented()) == sorted(read) == sorted(EXPECTED)
    for path in (REPO / "src" / "gridgov").rglob("*.py"):
        if path.name == "settings.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'environ(?:\.get)?[\[(]\s*"GRIDGOV_', text), f"{path}: reads the environment"
        assert not re.search(r'getattr\(settings,\s*"GRIDGOV_', text), f"{path}: getattr default on a setting"


_DUMP = """
import json
from django.conf import settings
names = json.loads(__import__("sys").argv[1])
out = {}
for name in names:
    value = settings.DATABASES["default"]["NAME"] if name == "DATABASE_NAME" else getattr(settings, name)
    out[name] = str(value) if name in ("VAR_DIR", "DATABASE_NAME") else value
print(json.dumps(out))
"""


def _settings(env: dict, names: list[str]) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GRIDGOV_", "DJANGO"))}
    base.update(env, DJANGO_SETTINGS_MODULE="gridgov.settings")
    done = subprocess.run([sys.executable, "-c", _DUMP, json.dumps(names)], env=base, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_each_documented_variable_changes_its_setting(tmp_path):
    names = {var: setting for var, (_, setting, _) in EXPECTED.items() if var != "GRIDGOV_SSL_REDIRECT"}
    defaults = _settings({"GRIDGOV_VAR_DIR": str(tmp_path / "default")}, sorted(set(names.values())))
    env = {var: value for var, (value, _, _) in EXPECTED.items() if value is not None}
    env.pop("GRIDGOV_SSL_REDIRECT")
    env["GRIDGOV_VAR_DIR"] = str(tmp_path / "elsewhere")
    got = _settings(env, sorted(set(names.values())))
    for var, setting in names.items():
        expected = str(tmp_path / "elsewhere") if var == "GRIDGOV_VAR_DIR" else EXPECTED[var][2]
        assert got[setting] == expected, var
        assert defaults[setting] != expected, f"{var}: the test value is the default"
    # production only
    prod = {"GRIDGOV_ENV": "production", "GRIDGOV_SECRET_KEY": EXPECTED["GRIDGOV_SECRET_KEY"][0],
            "GRIDGOV_ALLOWED_HOSTS": "gridgov.example", "GRIDGOV_VAR_DIR": str(tmp_path / "prod"),
            "GRIDGOV_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    assert _settings(prod, ["SECURE_SSL_REDIRECT"]) == {"SECURE_SSL_REDIRECT": True}
    assert _settings({**prod, "GRIDGOV_SSL_REDIRECT": "0"}, ["SECURE_SSL_REDIRECT"]) == {"SECURE_SSL_REDIRECT": False}
