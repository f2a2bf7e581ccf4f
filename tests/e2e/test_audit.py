"""The auditor in a real browser: signs in, opens the audit trail from the navigation, filters it
(action, dates in Beijing time, actor) and sees exactly the rows expected; the CSV export downloads
and is itself recorded."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def demo(transactional_db):
    from gridgov.accounts.services import roles_sync
    from gridgov.core.models import AuditEvent
    from gridgov.demo import geo as geo_demo
    from gridgov.demo.loaders import DEMO_PASSWORD, demo_users

    roles_sync()
    demo_users(geo_demo.load_demo_city(scale="tiny", seed=1))
    rows = [((2026, 12, 1, 10, 0), "district", "district_centre", "REVEAL", "registry.person", "17", "协查核实身份"),
            ((2026, 12, 1, 0, 30), "district", "district_centre", "READ", "registry.person", "17", ""),
            ((2026, 11, 30, 23, 30), "street", "street_centre", "REVEAL", "registry.person", "18", "入户核查")]
    for t, actor, role, action, otype, oid, reason in rows:
        AuditEvent.objects.create(at=datetime(*t, tzinfo=SH), actor_username=actor, role=role, jurisdiction="310101",
                                  action=action, object_type=otype, object_id=oid, reason=reason)
    return DEMO_PASSWORD


def test_auditor_filters_the_trail_and_exports_it(page: Page, live_server, demo) -> None:
    from gridgov.core.models import AuditEvent

    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "auditor")
    page.fill("input[name=password]", demo)
    page.click("button[type=submit]")
    page.get_by_role("navigation").get_by_role("link", name="审计日志").click()
    expect(page.locator("h1")).to_have_text("审计日志")

    # REVEAL on 1 December (Beijing time): one row; the one at 23:30 on 30 November is the day before
    page.select_option("#id_action", "REVEAL")
    page.fill("#id_since", "2026-12-01")
    page.fill("#id_until", "2026-12-01")
    page.click("[data-testid=audit-filter]")
    rows = page.locator("[data-testid=audit-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("2026-12-01 10:00:00")
    expect(rows.first).to_contain_text("查看原号")
    expect(rows.first).to_contain_text("协查核实身份")
    expect(rows.first).to_contain_text("黄浦区")

    # every REVEAL of either day, then every row of one actor over both days
    page.fill("#id_since", "2026-11-30")
    page.click("[data-testid=audit-filter]")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("入户核查")
    page.select_option("#id_action", "")
    page.fill("#id_actor", "district")
    page.click("[data-testid=audit-filter]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("查看原号")
    expect(rows.nth(1)).to_contain_text("2026-12-01 00:30:00")

    with page.expect_download() as info:
        page.click("[data-testid=audit-export]")
    body = open(info.value.path(), encoding="utf-8-sig").read()
    assert "协查核实身份" in body and "入户核查" not in body and body.count("\n") == 3
    event = AuditEvent.objects.get(action="EXPORT", object_type="audit")
    assert event.actor_username == "auditor" and event.changes["rows"] == 2

    # the export is on the trail
    page.goto(base + "/audit/?action=EXPORT")
    expect(rows.first).to_contain_text("审计日志")
    expect(rows.first).to_contain_text("导出")
