import pytest


@pytest.fixture
def city(db, roles):
    from gridgov.demo.geo import load_demo_city

    return load_demo_city(scale="tiny", seed=1)


@pytest.fixture
def grids(city):
    """Three grids of one community of the tiny demo city, with a point inside each."""
    import shapely

    from gridgov.geo.models import Grid, boundary_wkb

    rows = list(Grid.objects.filter(boundary__isnull=False).order_by("code")[:3])
    out = []
    for g in rows:
        p = shapely.from_wkb(boundary_wkb(g.boundary)).representative_point()
        out.append((g.code, p.x, p.y))
    return out
