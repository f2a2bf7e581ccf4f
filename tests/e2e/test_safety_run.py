"""A detection run started from the warnings page: the page of the run follows it while the task
worker does it (the test plays the worker), then shows the result (issue 16, item 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_map import log_in
from tests.e2e.test_safety import safety_demo  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1440, 390])
def test_run_from_the_warnings_page(page: Page, live_server, safety_demo, artifacts_dir: Path,  # noqa: F811
                                    width: int) -> None:
    from gridgov.safety.models import Alert, SafetyRun
    from gridgov.safety.tasks import run_execute

    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server.url, safety_demo["username"], safety_demo["password"])
    Alert.objects.all().delete()
    page.goto(live_server.url + "/safety/warnings/")
    page.screenshot(path=str(artifacts_dir / f"safety-warnings-run-button-{width}.png"), full_page=True)
    page.get_by_test_id("run-start").click()
    card = page.get_by_test_id("safety-run")
    expect(card).to_have_attribute("data-state", "pending")
    expect(page.get_by_test_id("run-state")).to_have_text("等待中")
    page.screenshot(path=str(artifacts_dir / f"safety-run-pending-{width}.png"), full_page=True)
    assert Alert.objects.count() == 0  # the request only queued the run

    run = SafetyRun.objects.get(actor__isnull=False)  # (the demo's own run has no actor)
    run_execute.call(run_id=run.pk)  # what `gridgov worker` does
    run.refresh_from_db()
    # the page polls its JSON and reloads when the run is done
    expect(page.get_by_test_id("safety-run")).to_have_attribute("data-state", "done", timeout=20_000)
    expect(page.get_by_test_id("run-state")).to_have_text("已完成")
    expect(page.get_by_test_id("run-warnings")).to_have_text(str(Alert.objects.count()))
    expect(page.get_by_test_id("run-hotspots")).to_have_text(str(run.hotspots))
    assert Alert.objects.count() > 0
    page.screenshot(path=str(artifacts_dir / f"safety-run-done-{width}.png"), full_page=True)
