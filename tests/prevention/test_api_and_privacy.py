"""The write API of patrol logs, the import API's error envelope, defence-team members' masked
phones and the defence-activity service."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gridgov.prevention import selectors, services
from gridgov.prevention.models import DefenceActivity, DefenceMember, DefenceTeam, PatrolLog, PatrolUnit

SH = ZoneInfo("Asia/Shanghai")


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_patrol_log_api(grids, make_user):
    (g1, x1, y1), (g2, x2, y2), _ = grids
    police = make_user("pol", ("police_officer", g1[:6]))
    unit = PatrolUnit.objects.create(code="U1", name="巡逻一组", kind="police", area_code=g1[:9])
    c = _client(police)
    start = dt.datetime(2026, 11, 3, 9, tzinfo=SH)
    r = c.post("/api/v1/prevention/patrol-logs", {
        "unit_id": unit.pk, "started_at": start.isoformat(), "ended_at": (start + dt.timedelta(hours=2)).isoformat(),
        "track": [[x1, y1], [x1, y1], [x2, y2]]}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["track_points"] == 3
    assert PatrolLog.objects.get().track == [[x1, y1], [x1, y1], [x2, y2]]
    r = c.post("/api/v1/prevention/patrol-logs", {
        "unit_id": unit.pk, "started_at": start.isoformat(), "ended_at": start.isoformat(), "grids_visited": [g1]},
        content_type="application/json")
    assert r.status_code == 422
    assert [d["field"] for d in r.json()["error"]["details"]] == ["ended_at"]
    worker_elsewhere = _client(make_user("gw", ("grid_worker", "320101001001001")))
    r = worker_elsewhere.post("/api/v1/prevention/patrol-logs", {
        "unit_id": unit.pk, "started_at": start.isoformat(), "ended_at": (start + dt.timedelta(hours=1)).isoformat(),
        "grids_visited": [g1]}, content_type="application/json")
    assert r.status_code == 404
    assert PatrolLog.objects.count() == 1


@pytest.mark.django_db
def test_import_api_reports_rows(grids, make_user):
    (g1, *_), _, _ = grids
    c = _client(make_user("pol", ("police_officer", g1[:6])))
    data = f"code,name,kind,grid_code\nDT1,队一,watch,{g1}\nDT2,队二,army,{g1}\n".encode("utf-8-sig")
    r = c.post("/api/v1/prevention/import/defence_teams", {"file": SimpleUploadedFile("t.csv", data)})
    assert r.status_code == 422
    assert [(d["row"], d["field"]) for d in r.json()["error"]["details"]] == [(3, "kind")]
    assert DefenceTeam.objects.count() == 0
    r = c.post("/api/v1/prevention/import/defence_teams",
               {"file": SimpleUploadedFile("t.csv", data.replace(b"army", b"militia"))})
    assert r.status_code == 200 and r.json()["written"] == 2


@pytest.mark.django_db
def test_members_phone_is_masked_and_activity_is_scoped(grids, make_user):
    (g1, *_), (g2, *_), _ = grids
    team = DefenceTeam.objects.create(code="T1", name="邻里守望队", kind="watch", grid_code=g1)
    DefenceMember.objects.create(team=team, grid_code=g1, name="张伟", phone="13912345678")
    worker = make_user("gw", ("grid_worker", g1))
    rows = selectors.defence_members(worker, team.pk)
    assert rows[0]["phone"] != "13912345678" and "1234" not in rows[0]["phone"]
    assert rows[0]["phone"].startswith("139") and rows[0]["phone"].endswith("5678")
    act = services.defence_activity_create(actor=worker, team_id=team.pk, hours=2.0, people=4,
                                           started_at=dt.datetime(2026, 11, 3, 19, tzinfo=SH))
    assert act.grid_code == g1
    other = make_user("gw2", ("grid_worker", g2))
    from gridgov.core.errors import NotFound

    with pytest.raises(NotFound):
        selectors.defence_members(other, team.pk)
    with pytest.raises(NotFound):
        services.defence_activity_create(actor=other, team_id=team.pk, hours=1.0,
                                         started_at=dt.datetime(2026, 11, 3, 19, tzinfo=SH))
    assert DefenceActivity.objects.count() == 1
