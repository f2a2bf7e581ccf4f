"""The Content-Security-Policy in a real browser (issue 15, finding 8): the pages whose inline code
moved to static files still work under it (every page fixture fails its test on a "Refused to"
console message), and the browser does refuse code injected inline.

GRIDGOV_SHOTS_DIR=<folder>: the test also saves screenshots of these pages at 1440 and 390 px."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e import helpers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PEOPLES_SQUARE = helpers.PEOPLES_SQUARE
PASSWORD = "a-Long-passw0rd!"


@pytest.fixture
def world(transactional_db, make_user):
    from gridgov.accounts.models import User
    from gridgov.cases import services

    grid = helpers.tiny_city_with_street(make_user)
    worker = User.objects.get(username="e2e-grid")
    case, _ = services.case_report(actor=worker, category_code="E0102", description="人民广场东侧暴露垃圾",
                                   lon=PEOPLES_SQUARE[0], lat=PEOPLES_SQUARE[1])
    return {"grid": grid, "case": case}


def _shot(page, name: str) -> None:
    folder = os.environ.get("GRIDGOV_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [1440, 390])
def test_pages_with_moved_scripts_work_under_the_policy(new_page, live_server, world, width, settings) -> None:
    settings.GRIDGOV_IMPORT_MAX_UPLOAD_MB = 1
    page = new_page(width=width)
    base = live_server.url
    helpers.log_in(page, base, "e2e-street", PASSWORD)
    # the case page's map (its script was inline): the point and the grid outlines are drawn
    page.goto(f"{base}/cases/{world['case'].pk}/")
    expect(page.locator("#case-map.leaflet-container")).to_be_visible()
    expect(page.locator("#case-map path.leaflet-interactive").first).to_be_attached()
    expect(page.locator("#case-map path.leaflet-interactive").nth(1)).to_be_attached()  # the point and a grid
    _shot(page, f"case-detail-{width}")
    # the language switch (its handler was inline) submits on change: the page comes back in English
    page.select_option("[data-testid=language-switch]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("[data-testid=language-switch]")).to_have_value("en")
    page.select_option("[data-testid=language-switch]", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    # the import page (its upload script was inline): an upload over the size limit is sent by the
    # script (XHR with a progress bar) and the refusal is shown above the form, the page kept
    page.goto(f"{base}/registry/import/")
    page.set_input_files("[data-testid=import-file]", files=[{
        "name": "big.csv", "mimeType": "text/csv", "buffer": b"a,b\n" + b"#" * (1024 * 1024 + 10)}])
    page.click("#import-form button[type=submit]")
    expect(page.locator("[data-testid=import-page] p.error")).to_contain_text("1 MB")
    assert page.url.endswith("/registry/import/")
    _shot(page, f"import-refused-{width}")
    # a small file is queued; the job page (its poll script was inline) shows the waiting job
    page.set_input_files("[data-testid=import-file]", files=[{
        "name": "small.csv", "mimeType": "text/csv", "buffer": "公民身份号码,姓名\n".encode()}])
    page.click("#import-form button[type=submit]")
    expect(page.locator("[data-testid=import-job]")).to_be_visible()
    expect(page.locator("[data-testid=job-state]")).to_have_text("排队中")
    page.wait_for_timeout(800)  # the first poll (after 0.5 s) has run under the policy
    _shot(page, f"import-job-{width}")


def test_the_browser_refuses_inline_code(browser, live_server, world) -> None:
    """Inline code injected into a page does not run, and the browser says why (a context of its own:
    the page fixtures fail a test on exactly this message)."""
    from tests.e2e.conftest import watch_csp

    context = browser.new_context(locale="zh-CN")
    refused: list[str] = []
    watch_csp(context, refused)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/accounts/login/")
        page.evaluate("""() => {
            const s = document.createElement("script");
            s.textContent = "window.injected = true;";
            document.body.appendChild(s);
            const b = document.createElement("button");
            b.setAttribute("onclick", "window.clicked = true");
            b.id = "injected-button";
            document.body.appendChild(b);
        }""")
        page.click("#injected-button")
        assert page.evaluate("() => [window.injected === true, window.clicked === true]") == [False, False]
        page.wait_for_function("() => true")  # the violation events are dispatched after the insertions
        page.wait_for_timeout(300)
        # what the page fixtures watch for: both refusals reported (script-src-elem, script-src-attr)
        assert any("script-src-elem: inline" in m for m in refused), refused
        assert any("script-src-attr: inline" in m for m in refused), refused
        # a page from this site still runs its own static scripts: the language switch is wired
        page.select_option("[data-testid=language-switch]", "en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        context.close()
