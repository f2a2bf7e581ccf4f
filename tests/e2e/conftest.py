"""Browser (end-to-end) test harness: Playwright's sync API driving Debian's chromium.

Every test under tests/e2e is marked ``e2e`` (``make e2e`` selects them, ``make test`` skips them).
The browser is the system chromium (``/usr/bin/chromium``, or ``GRIDGOV_CHROMIUM``); Playwright's
own browser download is never used. A missing chromium makes the tests fail, not skip.
Screenshots of failing tests go to ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in the test thread; without this Django's ORM
# refuses to run there (SynchronousOnlyOperation) for fixtures and test bodies.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 15_000
#: how chromium words what the Content-Security-Policy blocked ("Refused to execute inline script …").
#: Its own messages are browser log entries, which Playwright's console event does not carry, so every
#: page also reports each `securitypolicyviolation` event through console.error in the same words.
CSP_REFUSAL = "Refused to"
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("Refused to " + e.effectiveDirective + ": " + (e.blockedURI || "inline") + " (" +
                (e.sourceFile || document.location.href) + ":" + e.lineNumber + ") " + (e.sample || ""));
}, true);
"""


def watch_csp(context, refused: list[str]) -> None:
    """Collect the CSP refusals of every page of ``context`` into ``refused``."""
    context.add_init_script(_REPORT_VIOLATIONS)
    context.on("console", lambda msg: refused.append(f"{msg.location.get('url', '')}: {msg.text}")
               if msg.text.startswith(CSP_REFUSAL) else None)


def fail_on_csp(refused: list[str], request: pytest.FixtureRequest) -> None:
    """A page that broke the Content-Security-Policy fails its test (unless it failed already)."""
    report = getattr(request.node, "rep_call", None)
    if refused and (report is None or not report.failed):
        pytest.fail("the Content-Security-Policy refused:\n" + "\n".join(refused), pytrace=False)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Conftest hooks see every collected item, so only mark the ones under tests/e2e.
    # tryfirst: the marker must be there before `-m "not e2e"` deselects.
    for item in items:
        if Path(str(item.path)).resolve().is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def artifact_path(name: str) -> Path:
    """Path for a test artifact (screenshot, ...) under test-artifacts/, directory created."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR / name


@pytest.fixture
def artifacts_dir() -> Path:
    """test-artifacts/ at the repository root (gitignored), created."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("GRIDGOV_CHROMIUM", DEFAULT_CHROMIUM)
    if not os.path.isfile(executable) or not os.access(executable, os.X_OK):
        pytest.fail(
            f"chromium not found at {executable!r}: the e2e tests need Debian's chromium. "
            "Install it with `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
            "chromium fonts-noto-cjk`, or point GRIDGOV_CHROMIUM at a chromium binary.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        try:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
        except Exception as exc:
            pytest.fail(f"could not launch chromium at {executable!r}: {exc}", pytrace=False)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    refused: list[str] = []
    watch_csp(context, refused)
    page = context.new_page()
    try:
        yield page
        fail_on_csp(refused, request)
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid).strip("_")
            try:
                page.screenshot(path=str(artifact_path(f"FAILED-{name}.png")), full_page=True)
            except Exception as exc:  # a screenshot must never hide the real failure
                print(f"could not save failure screenshot: {exc}")
        context.close()


# ------------------------------------------------------------------ screenshots for the user guide
DOC_IMG_DIR = REPO_ROOT / "docs" / "img"


def doc_shots_enabled() -> bool:
    """GRIDGOV_DOC_SHOTS=1 makes the e2e run (re)write the user guide's screenshots under docs/img/;
    off by default, so CI and ordinary runs never touch the committed images."""
    return os.environ.get("GRIDGOV_DOC_SHOTS", "").lower() in ("1", "true", "yes")


def doc_shot(page, name: str, *, full_page: bool = False) -> Path | None:
    """Save the page as docs/img/<name>.png (a palette PNG, small enough to commit) when doc shots are
    enabled; returns the path written, or None."""
    if not doc_shots_enabled():
        return None
    from PIL import Image

    DOC_IMG_DIR.mkdir(parents=True, exist_ok=True)
    path = DOC_IMG_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    return path


@pytest.fixture
def new_page(browser, request: pytest.FixtureRequest):
    """A factory of pages in their own zh-CN context: new_page(width=390, **context_options); failing
    tests leave a screenshot of each page in test-artifacts/."""
    contexts = []
    refused: list[str] = []

    def _make(width: int = 1440, height: int = 900, **options):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": width, "height": height}, **options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        watch_csp(context, refused)
        contexts.append(context)
        return context.new_page()

    try:
        yield _make
        fail_on_csp(refused, request)
    finally:
        report = getattr(request.node, "rep_call", None)
        for i, context in enumerate(contexts):
            if report is not None and report.failed:
                name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid).strip("_")
                for j, pg in enumerate(context.pages):
                    try:
                        pg.screenshot(path=str(artifact_path(f"FAILED-{name}-{i}-{j}.png")), full_page=True)
                    except Exception as exc:  # never hide the real failure
                        print(f"could not save failure screenshot: {exc}")
            context.close()


@pytest.fixture
def demo(transactional_db):
    """The tiny demo city with its register and the demo users; returns their password."""
    from gridgov.accounts.services import roles_sync
    from gridgov.demo import geo as geo_demo
    from gridgov.demo import registry as registry_demo
    from gridgov.demo.loaders import DEMO_PASSWORD, demo_users

    roles_sync()
    jurisdictions = geo_demo.load_demo_city(scale="tiny", seed=1)
    registry_demo.load(scale="tiny", seed=1)
    demo_users(jurisdictions)
    return DEMO_PASSWORD
