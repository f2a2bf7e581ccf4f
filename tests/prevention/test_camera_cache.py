"""The camera coverage of the gap is cached per grid version and camera set: a second request does
not recompute it, and every camera write (edit, import) changes the gap at once."""

import pytest

from gridgov.core.models import AuditEvent
from gridgov.prevention import imports, selectors, services
from gridgov.prevention.models import Camera


@pytest.fixture
def counted(monkeypatch):
    """Count the real computations of the camera coverage (the cached path skips them)."""
    calls = []
    real = selectors._camera_shares_computed

    def wrapper(grid_rows, ps):
        calls.append(tuple(ps))
        return real(grid_rows, ps)

    monkeypatch.setattr(selectors, "_camera_shares_computed", wrapper)
    return calls


def _row(user, code):
    return next(r for r in selectors.gap_table(user, week=selectors.default_week()) if r["code"] == code)


@pytest.mark.django_db
def test_camera_edit_changes_the_gap_and_the_cache_spares_work(grids, make_user, counted):
    (g1, x1, y1), (g2, *_), _ = grids
    police = make_user("polc", ("police_officer", g1[:6]))
    cam = Camera.objects.create(code="C1", grid_code=g1, lon=x1, lat=y1, radius_m=40)
    services.cameras_bump_version()  # the ORM create above bypasses the services
    first = _row(police, g1)
    assert 0 < first["camera_share"] < 1
    assert len(counted) == 1
    again = _row(police, g1)
    assert again["camera_share"] == first["camera_share"] and len(counted) == 1  # from the cache

    services.camera_update(actor=police, camera_id=cam.pk, status="faulty")
    broken = _row(police, g1)
    assert broken["camera_share"] == 0.0
    assert broken["coverage"] < first["coverage"] and broken["gap"] > first["gap"]
    assert len(counted) == 2
    event = AuditEvent.objects.filter(object_type="camera").latest("id")
    assert event.action == "UPDATE" and event.changes["status"] == ["online", "faulty"]

    services.camera_update(actor=police, camera_id=cam.pk, status="online", radius_m=80)
    wider = _row(police, g1)
    assert wider["camera_share"] > first["camera_share"]  # a wider view covers more of the grid
    assert _row(police, g2)["camera_share"] == 0.0


@pytest.mark.django_db
def test_a_camera_import_changes_the_gap(grids, make_user, counted):
    (g1, x1, y1), *_ = grids
    police = make_user("polc2", ("police_officer", g1[:6]))
    services.cameras_bump_version()
    assert _row(police, g1)["camera_share"] == 0.0
    assert _row(police, g1)["camera_share"] == 0.0 and len(counted) == 1
    result = imports.network_import(actor=police, network="cameras", rows=[
        {"code": "CI1", "grid_code": g1, "lon": str(x1), "lat": str(y1), "radius_m": "50"}])
    assert result.errors == [] and result.written == 1
    assert _row(police, g1)["camera_share"] > 0
    assert len(counted) == 2


@pytest.mark.django_db
def test_no_cache_without_a_camera_version(grids, make_user, counted):
    (g1, x1, y1), *_ = grids
    police = make_user("polc3", ("police_officer", g1[:6]))
    assert selectors.camera_cache_key([g1[:6]]) is None
    _row(police, g1)
    Camera.objects.create(code="C9", grid_code=g1, lon=x1, lat=y1, radius_m=40)  # no version: still seen
    assert _row(police, g1)["camera_share"] > 0
    assert len(counted) == 2


@pytest.mark.django_db
def test_camera_update_refusals(grids, make_user):
    from gridgov.core.errors import Forbidden, NotFound, ValidationFailed
    from gridgov.geo.models import Division

    (g1, x1, y1), *_ = grids
    cam = Camera.objects.create(code="C1", grid_code=g1, lon=x1, lat=y1, radius_m=40)
    police = make_user("polc4", ("police_officer", g1[:6]))
    with pytest.raises(ValidationFailed):
        services.camera_update(actor=police, camera_id=cam.pk, status="broken")
    with pytest.raises(ValidationFailed):
        services.camera_update(actor=police, camera_id=cam.pk, radius_m=0)
    street = Division.objects.filter(level=9).exclude(prefix=g1[:9]).values_list("prefix", flat=True).first()
    other = make_user("polc5", ("street_centre", street))
    with pytest.raises(NotFound):
        services.camera_update(actor=other, camera_id=cam.pk, status="faulty")
    worker = make_user("gwc", ("grid_worker", g1))
    with pytest.raises(Forbidden):
        services.camera_update(actor=worker, camera_id=cam.pk, status="faulty")
    assert Camera.objects.get().status == "online"
