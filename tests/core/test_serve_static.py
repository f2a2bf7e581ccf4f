"""Issue 15, finding 14 (second half): in production (static files served from STATIC_ROOT only)
``gridgov serve`` collects the static files itself when they are missing, and refuses to start,
exit 2, when it cannot. Development serves them from the source folders and needs nothing."""

from __future__ import annotations

import pytest

from gridgov import cli
from gridgov.core.management.commands.serve import ensure_static

VENDORED = "vendor/leaflet/leaflet.js"  # any file of the package's static folder


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    settings.WHITENOISE_USE_FINDERS = False
    return settings


def test_missing_static_files_are_collected(production, tmp_path, capsys):
    from django.contrib.staticfiles import finders

    production.STATIC_ROOT = tmp_path / "static"
    expected = {path for finder in finders.get_finders() for path, _ in finder.list([])}
    assert VENDORED in expected
    ensure_static(stdout=None)
    collected = {str(p.relative_to(production.STATIC_ROOT)) for p in production.STATIC_ROOT.rglob("*") if p.is_file()}
    assert expected <= collected
    # a second start finds them all and collects nothing
    (production.STATIC_ROOT / VENDORED).write_text("// kept", encoding="utf-8")
    ensure_static(stdout=None)
    assert (production.STATIC_ROOT / VENDORED).read_text(encoding="utf-8") == "// kept"


def test_serve_refuses_to_start_without_static_files(production, tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    production.STATIC_ROOT = blocker / "static"  # cannot be created
    assert cli.main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "缺少静态文件" in err and "collectstatic" in err


def test_development_needs_no_collection(settings, tmp_path):
    settings.PRODUCTION = False
    settings.STATIC_ROOT = tmp_path / "static"
    ensure_static(stdout=None)
    assert not (tmp_path / "static").exists()
