"""Bad settings get a specific error naming the variable."""

import os
import subprocess
import sys

import pytest


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
    result = subprocess.run([sys.executable, "-m", "gridgov.cli", "check", "--deploy"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr
