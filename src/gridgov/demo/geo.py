"""Demo loader for geography: the synthetic Shanghai-like city (gridgov.demo.city) into the DB."""

from __future__ import annotations

import shapely

from gridgov.demo.city import generate_city
from gridgov.geo.locator_store import locator_build
from gridgov.geo.services import DivisionRow, GridRow, divisions_upsert, grids_upsert

PEOPLES_SQUARE = (121.4737, 31.2304)


def load_demo_city(*, scale: str = "small", seed: int = 1, progress=None) -> dict[str, list[tuple[str, str]]]:
    """Generate and store the demo city. Returns demo users' jurisdictions per role code:
    the grid worker at the grid covering People's Square (capture) with search scope over its
    street, community staff at its community, street staff at its street."""
    city = generate_city(scale=scale, seed=seed, progress=progress)
    divisions_upsert(rows=[DivisionRow(d.code12, d.name, d.polygon) for d in city.divisions], progress=progress)
    grids_upsert(rows=[GridRow(g.code15, g.name, g.community_code12, g.polygon, g.kind) for g in city.grids],
                 progress=progress)
    # the loaders after this one locate many points: publish the locator file now (a command, not a
    # request) instead of waiting for the task worker
    locator_build()
    point = shapely.Point(*PEOPLES_SQUARE)
    grid = next(g for g in city.grids if g.polygon.covers(point))
    community, township = grid.code15[:12], grid.code15[:9]
    return {
        "grid_worker": [(grid.code15, "capture"), (township, "search")],
        "community_staff": [(community, "capture")],
        "street_centre": [(township, "capture")],
        "desk_officer": [(township, "capture")],
    }


def reset_demo_city() -> None:
    from gridgov.geo.models import Division, Grid
    from gridgov.geo.services import geo_bump_version

    Grid.objects.all().delete()
    # children before parents (PROTECT on parent)
    for level in sorted(Division.Level.values, reverse=True):
        Division.objects.filter(level=level).delete()
    geo_bump_version()
