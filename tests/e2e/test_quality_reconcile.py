"""Reconciliation in the browser: the street centre uploads a GBK rental list, the page shows the
progress until the worker has linked it (polled by static JS), then the results; the grid worker opens
the worklist on a phone and confirms an item; the confirmation is stored and audited."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in

pytestmark = pytest.mark.e2e

HEADER = "record_id,name,sex,birth_date,identity_number,mobile,address"


def _list_file(tmp_path: Path, grid: str) -> tuple[Path, str]:
    """The grid's residents with one planted typo (a same-sound name) and one person the register lacks
    living at a house of the grid; returns the file and the record id of the typo row."""
    from gridgov.registry.models import House, Person

    people = list(Person.objects.filter(grid_code=grid, status="active").select_related("house").order_by("pk")[:40])
    lines = [HEADER]
    typo_id = ""
    for k, p in enumerate(people, start=1):
        name = p.name
        if not typo_id and name[0] == "王":
            name, typo_id = "汪" + name[1:], f"Z{k:03d}"
        lines.append(",".join([f"Z{k:03d}", name, {"1": "男", "2": "女"}.get(p.sex, ""),
                               p.birth_date.isoformat() if p.birth_date else "", p.identity_number or "", p.phone,
                               p.house.address if p.house else ""]))
    if not typo_id:  # no 王 in the grid: mistype the first person's mobile instead
        first = lines[1].split(",")
        first[5] = first[5][:-1] + ("0" if first[5][-1:] != "0" else "1")
        lines[1], typo_id = ",".join(first), first[0]
    house = House.objects.filter(grid_code=grid).order_by("pk").first()
    lines.append(f"Z999,欧阳新来,女,1999-07-08,310101199907080027,13900001111,{house.address}")
    path = tmp_path / "出租登记名单.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    return path, typo_id


def test_reconciliation_from_upload_to_a_confirmed_worklist_item(page: Page, live_server, demo, new_page,
                                                                 tmp_path, settings) -> None:
    from django.core.management import call_command

    from gridgov.accounts.models import User
    from gridgov.core.models import AuditEvent
    from gridgov.quality.models import Reconciliation, WorklistItem

    settings.VAR_DIR = tmp_path
    worker = User.objects.get(username="grid")
    grid = next(m.jurisdiction for m in worker.active_memberships() if m.scope == "capture")
    path, typo_id = _list_file(tmp_path, grid)

    log_in(page, live_server.url, "street", demo)
    page.goto(live_server.url + "/quality/reconcile/")
    page.fill("[data-testid=reconcile-name]", "出租房屋登记对账(测试)")
    page.set_input_files("[data-testid=reconcile-file]", str(path))
    page.click("[data-testid=reconcile-submit]")
    expect(page).to_have_url(re.compile(r"/quality/reconcile/\d+/$"))
    expect(page.locator("[data-testid=reconcile-status]")).to_have_text("等待中")
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)  # `gridgov worker` runs the task
    expect(page.locator("[data-testid=reconcile-status]")).to_have_text("已完成", timeout=60_000)  # the poll saw it
    rec = Reconciliation.objects.get()
    expect(page.locator("[data-testid=reconcile-unregistered]")).to_have_text(str(rec.unregistered))
    assert rec.unregistered >= 1 and rec.conflicting >= 1 and rec.encoding == "gb18030"
    expect(page.locator("[data-testid=reconcile-results]")).to_contain_text("疑似未登记")

    phone = new_page(width=390, height=844)
    log_in(phone, live_server.url, "grid", demo)
    phone.goto(live_server.url + "/quality/reconcile/worklist/")
    item = phone.locator(f"[data-testid=worklist-item][data-record={typo_id}]")
    expect(item).to_be_visible()
    item.locator("input[name=note]").fill("已上门核实,名单姓名写错")
    item.locator("[data-testid=worklist-confirm]").click()
    expect(phone.locator(f"[data-testid=worklist-item][data-record={typo_id}]")).to_have_count(0)
    decided = WorklistItem.objects.get(candidate__record__record_id=typo_id)
    assert (decided.status, decided.decided_by, decided.note) == ("confirmed", worker, "已上门核实,名单姓名写错")
    assert AuditEvent.objects.filter(object_type="quality.worklist_item", object_id=str(decided.pk),
                                     action="TRANSITION").exists()
    phone.goto(live_server.url + "/quality/reconcile/worklist/?status=confirmed")
    expect(phone.locator(f"[data-testid=worklist-item][data-record={typo_id}]")).to_contain_text("走访确认属实")
