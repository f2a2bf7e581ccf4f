"""Reconciliation pages and services: upload -> linkage in the task -> candidates and worklist items in
the right grids -> a grid worker confirms (audited); scoping (404 outside, 403 without capability),
masking, a bad list refused with its lines; the register never changes."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.quality import linksynth, reconcile_services
from gridgov.quality.models import LinkCandidate, Reconciliation, WorklistItem

GRIDS = ("310101001001001", "310101001001002")
HEADER = "record_id,name,sex,birth_date,identity_number,mobile,address"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.VAR_DIR = tmp_path


@pytest.fixture
def register(db):
    """120 synthetic residents in two grids (alternating), each in a house of its grid."""
    from gridgov.registry.identity import blind_index
    from gridgov.registry.models import House, Person

    data = linksynth.generate(120, seed=41, linked_share=0.5)
    people = {}
    for i, r in enumerate(data.register):
        grid = GRIDS[i % 2]
        house = House.objects.create(house_code=f"H{i:04d}", address=r["address"], grid_code=grid)
        people[r["record_id"]] = Person.objects.create(
            identity_number=r["identity_number"], id_hmac=blind_index(r["identity_number"]),
            id_last4=r["identity_number"][-4:], name=r["name"],
            sex="1" if r["sex"] == "男" else "2", birth_date=date.fromisoformat(r["birth_date"]), phone=r["mobile"],
            grid_code=grid, house=house)
    return data, people


def _csv(rows) -> bytes:
    lines = [HEADER] + [",".join(r[f] for f in HEADER.split(",")) for r in rows]
    return ("\n".join(lines) + "\n").encode("gbk")


def _upload(client, data, django_capture_on_commit_callbacks, content=None, **extra):
    body = content if content is not None else _csv(data.external)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("quality:reconcile"), {
            "name": "2026年12月出租房屋登记对账", "list_kind": "rental", "area_code": "310101001",
            "encoding": "", "threshold": "0.9", "file": SimpleUploadedFile("出租登记.csv", body, "text/csv"),
            **extra})


def test_upload_links_and_fills_the_worklists(client, make_user, register, django_capture_on_commit_callbacks):
    data, people = register
    centre = make_user("rec_centre", ("street_centre", "310101001"))
    client.force_login(centre)
    from gridgov.registry.models import Person

    before = list(Person.objects.order_by("pk").values_list("name", "identity_number", "phone"))
    resp = _upload(client, data, django_capture_on_commit_callbacks)
    assert resp.status_code == 302
    rec = Reconciliation.objects.get()
    assert rec.status == "done", rec.message
    assert rec.encoding == "gb18030" and rec.rows == len(data.external)
    # the planted truth (linksynth): linked rows point at the right person, the others are unregistered
    cands = {c.record.record_id: c for c in LinkCandidate.objects.select_related("record")}
    right = sum(1 for e, r in data.truth.items() if cands[e].person_id == people[r].pk)
    assert right >= 0.97 * len(data.truth)
    new = [e["record_id"] for e in data.external if e["record_id"] not in data.truth]
    assert all(cands[e].kind == "unregistered" for e in new)
    assert rec.unregistered == len(new) + (len(data.truth) - right)
    for e, r in data.truth.items():
        c = cands[e]
        if c.person_id == people[r].pk:
            assert c.grid_code == people[r].grid_code
            planted = set(data.typos[e]) - {"mobile_empty"}
            assert (c.kind == "conflict") == bool(planted), (e, data.typos[e], c.conflicts)
    # the worklist: every conflict and unregistered row, none of the clean matches
    assert WorklistItem.objects.count() == rec.conflicting + rec.unregistered
    assert not WorklistItem.objects.filter(candidate__kind="match").exists()
    # unregistered people at addresses the register does not know are on the centre's list
    assert WorklistItem.objects.filter(grid_code="", candidate__kind="unregistered").count() == len(new)
    assert list(Person.objects.order_by("pk").values_list("name", "identity_number", "phone")) == before
    page = client.get(reverse("quality:reconcile_detail", args=[rec.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "已完成" in text
    some = data.external[0]["identity_number"]
    assert some not in text and some[:6] in text  # masked
    assert AuditEvent.objects.filter(object_type="quality.reconciliation", action="READ").exists()
    progress = client.get(reverse("quality:reconcile_detail", args=[rec.pk]) + "?format=json").json()
    assert progress["status"] == "done" and progress["progress"] == 100


def test_grid_worker_confirms_an_item_of_their_grid_only(client, make_user, register,
                                                         django_capture_on_commit_callbacks):
    data, _ = register
    client.force_login(make_user("rec_centre2", ("street_centre", "310101001")))
    _upload(client, data, django_capture_on_commit_callbacks)
    worker = make_user("rec_worker", ("grid_worker", GRIDS[0]))
    client.force_login(worker)
    assert client.get(reverse("quality:reconcile")).status_code == 403
    page = client.get(reverse("quality:reconcile_worklist"))
    ids = [i.pk for i in WorklistItem.objects.filter(grid_code=GRIDS[0])]
    assert ids and page.content.decode().count('data-testid="worklist-item"') == len(ids)
    other = WorklistItem.objects.filter(grid_code=GRIDS[1]).first()
    assert client.post(reverse("quality:reconcile_decide", args=[other.pk]), {"outcome": "confirmed"}).status_code == 404
    resp = client.post(reverse("quality:reconcile_decide", args=[ids[0]]), {"outcome": "confirmed", "note": "已走访核实"})
    assert resp.status_code == 302
    item = WorklistItem.objects.get(pk=ids[0])
    assert (item.status, item.note, item.decided_by) == ("confirmed", "已走访核实", worker)
    ev = AuditEvent.objects.get(object_type="quality.worklist_item", object_id=str(ids[0]))
    assert ev.action == "TRANSITION" and ev.changes["status"] == ["open", "confirmed"]
    again = client.post(reverse("quality:reconcile_decide", args=[ids[0]]), {"outcome": "rejected"})
    assert again.status_code == 409
    assert WorklistItem.objects.get(pk=ids[0]).status == "confirmed"


def test_a_bad_list_is_refused_with_its_lines(client, make_user, register, django_capture_on_commit_callbacks):
    data, _ = register
    client.force_login(make_user("rec_centre3", ("street_centre", "310101001")))
    body = (HEADER + "\nE1,王伟,男,1990-01-02,,,\nE1,李娜,女,31/12/1990,,,\nE3,张三,x,,,,\n").encode("utf-8")
    _upload(client, data, django_capture_on_commit_callbacks, content=body)
    rec = Reconciliation.objects.get()
    assert rec.status == "failed"
    assert rec.message.splitlines() == ["第 3 行 · 记录编号: 'E1' 出现了两次",
                                        "第 3 行 · 出生日期: '31/12/1990' 不是日期（年-月-日）",
                                        "第 4 行 · 性别: 'x' 不是“男”或“女”"]
    assert not LinkCandidate.objects.exists()


def test_scoping_of_the_pages(client, make_user, register, django_capture_on_commit_callbacks):
    data, _ = register
    client.force_login(make_user("rec_centre4", ("street_centre", "310101001")))
    _upload(client, data, django_capture_on_commit_callbacks)
    rec = Reconciliation.objects.get()
    client.force_login(make_user("rec_other", ("street_centre", "310101002")))
    assert client.get(reverse("quality:reconcile_detail", args=[rec.pk])).status_code == 404
    resp = client.post(reverse("quality:reconcile"), {"name": "x", "list_kind": "rental", "area_code": "310101001",
                                                      "file": SimpleUploadedFile("a.csv", b"x", "text/csv")})
    assert resp.status_code == 404
    client.force_login(make_user("rec_handler", ("department_handler", "310101001")))
    assert client.get(reverse("quality:reconcile_worklist")).status_code == 403
    assert client.get(reverse("quality:reconcile_detail", args=[rec.pk])).status_code == 403


def test_start_refuses_bad_fields(make_user, db):
    centre = make_user("rec_centre5", ("street_centre", "310101001"))
    up = SimpleUploadedFile("a.pdf", b"x")
    from gridgov.core.errors import FieldError

    for kwargs, field in ((dict(area_code="31010100"), "area_code"), (dict(list_kind="tax"), "list_kind"),
                          (dict(threshold=1.2), "threshold"), (dict(), "file")):
        values = dict(actor=centre, name="n", area_code="310101001", list_kind="rental", upload=up) | kwargs
        with pytest.raises(FieldError) as err:
            reconcile_services.reconciliation_start(**values)
        assert err.value.details[0].field == field


def test_an_excel_list_is_read(client, make_user, register, django_capture_on_commit_callbacks):
    import io

    from openpyxl import Workbook

    data, people = register
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    for r in data.external[:30]:
        ws.append([r[f] for f in HEADER.split(",")])
    buf = io.BytesIO()
    wb.save(buf)
    client.force_login(make_user("rec_centre6", ("street_centre", "310101001")))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("quality:reconcile"), {
            "name": "职工名单", "list_kind": "staff", "area_code": "310101001",
            "file": SimpleUploadedFile("职工.xlsx", buf.getvalue())})
    rec = Reconciliation.objects.get()
    assert (rec.status, rec.encoding, rec.rows) == ("done", "xlsx", 30)
    linked = {c.record.record_id: c.person_id for c in LinkCandidate.objects.select_related("record")}
    for r in data.external[:30]:
        if r["record_id"] in data.truth and not data.typos[r["record_id"]]:
            assert linked[r["record_id"]] == people[data.truth[r["record_id"]]].pk
