"""The grid locator's files (geo/locator_store.py): built once per grid version in the background,
memory-mapped by the web processes; a request never builds the locator (issue 16, item 5)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from django.test import Client

from gridgov.geo import locator_store, selectors
from gridgov.geo.locate import GridLocator
from gridgov.geo.models import Grid

PS = (121.4737, 31.2304)  # People's Square


@pytest.fixture
def var(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path / "var"
    monkeypatch.setattr(selectors, "VERSION_CHECK_SECONDS", 0.0)  # no 2-s wait between checks in a test
    selectors.locator_invalidate()
    yield settings.VAR_DIR
    selectors.locator_invalidate()


@pytest.fixture
def city(var, db, roles):
    from gridgov.demo.geo import load_demo_city

    return load_demo_city(scale="tiny", seed=1)


@pytest.fixture
def builds(monkeypatch):
    """Every GridLocator construction (a build: raster + tree) in this process, counted."""
    calls: list[int] = []
    original = GridLocator.__init__

    def counting(self, *args, **kwargs):
        calls.append(len(args[0]))
        original(self, *args, **kwargs)

    monkeypatch.setattr(GridLocator, "__init__", counting)
    return calls


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _grid_at(lon, lat) -> str:
    """The oracle: the smallest code among the stored grids whose polygon covers the point."""
    pt = shapely.Point(lon, lat)
    return min(g.code for g in Grid.objects.all() if shapely.from_wkb(bytes(g.boundary)).covers(pt))


def test_first_request_after_a_grid_edit_does_not_build_and_the_build_follows(city, make_user, builds,
                                                                                django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from gridgov.geo.services import GridRow, grids_upsert
    from gridgov.geo.tasks import locator_build

    client = _client(make_user("d1", ("district_centre", "310101")))
    url = f"/api/v1/geo/locate?lon={PS[0]}&lat={PS[1]}"
    a = client.get(url).json()["grid_code"]
    assert a == _grid_at(*PS)
    assert builds == []  # the demo loader published the file; the request mapped it
    assert isinstance(selectors.locator()._lut, np.memmap)

    # the edit: grid A (People's Square) and a far grid B swap their outlines
    grid_a = Grid.objects.get(code=a)
    grid_b = Grid.objects.exclude(community=grid_a.community).order_by("code").first()
    geom_a, geom_b = shapely.from_wkb(bytes(grid_a.boundary)), shapely.from_wkb(bytes(grid_b.boundary))
    queued = DBTaskResult.objects.filter(task_path="gridgov.geo.tasks.locator_build").count()
    with django_capture_on_commit_callbacks(execute=True):
        grids_upsert(rows=[GridRow(grid_a.code, grid_a.name, grid_a.community.code, geom_b, grid_a.kind),
                           GridRow(grid_b.code, grid_b.name, grid_b.community.code, geom_a, grid_b.kind)])
    # the build is queued for the worker, not done here
    assert DBTaskResult.objects.filter(task_path="gridgov.geo.tasks.locator_build").count() == queued + 1
    assert builds == []

    after = client.get(url).json()["grid_code"]
    assert after == grid_b.code == _grid_at(*PS)  # the database fallback already answers with the edit
    bulk = client.post("/api/v1/geo/locate", data={"points": [{"lon": PS[0], "lat": PS[1]}]},
                       content_type="application/json").json()
    assert bulk["results"][0]["grid_code"] == grid_b.code
    assert builds == []  # neither request built the locator
    assert selectors.locator() is None  # no file for the new version yet

    result = locator_build.call()  # what `gridgov worker` runs
    assert result["built"] is True and builds == [Grid.objects.count()]
    assert locator_build.call()["built"] is False  # once per version
    assert client.get(url).json()["grid_code"] == grid_b.code
    assert builds == [Grid.objects.count()]
    loaded = selectors.locator()
    assert loaded is not None and isinstance(loaded._lut, np.memmap)
    # one published directory per version; the previous version's is kept for processes mapping it
    published = sorted(p.name for p in (city and locator_store.locator_dir()).glob("grids-*"))
    assert len(published) == 2 and f"grids-{locator_store.version_key()}" in published


def test_database_fallback_agrees_with_the_locator_file(city, builds):
    rng = np.random.default_rng(4)
    xmin, ymin, xmax, ymax = shapely.total_bounds(
        shapely.from_wkb([bytes(b) for b in Grid.objects.values_list("boundary", flat=True)]))
    lon = np.concatenate([rng.uniform(xmin - 0.01, xmax + 0.01, 3000), [np.nan, PS[0]]])
    lat = np.concatenate([rng.uniform(ymin - 0.01, ymax + 0.01, 3000), [31.2, PS[1]]])
    loaded = selectors.locator()
    assert loaded is not None
    from_file = list(loaded.locate(lon, lat))
    assert selectors._locate_db(lon, lat) == from_file  # many tiles: one query over the box
    assert selectors._locate_db(lon[:40], lat[:40]) == from_file[:40]  # a few tiles: one query each
    assert from_file[-1] == _grid_at(*PS) and from_file[-2] is None
    assert sum(c is not None for c in from_file) > 500
    assert builds == []


def test_a_version_without_its_file_and_an_unknown_database_are_never_served_a_file(city, builds):
    from gridgov.core.models import SystemState

    key = locator_store.version_key()
    assert key is not None and (locator_store.path_for(key) / "meta.json").is_file()
    # a database re-created from scratch starts its numbering again: without the token, no file
    SystemState.objects.filter(key=locator_store.VERSION_KEY).update(value={"version": 1})
    selectors.locator_invalidate()
    assert locator_store.version_key() is None and selectors.locator() is None
    assert selectors.locate_code(*PS) == _grid_at(*PS)
    # the worker gives such a database a token and publishes its file
    assert locator_store.locator_build()["built"] is True
    assert selectors.locator() is not None and builds == [Grid.objects.count()]
