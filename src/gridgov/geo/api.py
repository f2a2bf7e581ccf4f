from __future__ import annotations

import json

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from gridgov.core.errors import FieldError, GridgovError
from gridgov.geo import selectors, services

router = Router(tags=["geo"])
GEOJSON = "application/geo+json"


def _geojson(text: str) -> HttpResponse:
    return HttpResponse(text, content_type=GEOJSON)


class LayerQuery(Schema):
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")
    zoom: int | None = Field(None, ge=0, le=22)


@router.get("/layers/divisions", summary="Division outlines of one level (GeoJSON)")
def divisions_layer(request, level: int, filters: Query[LayerQuery]):
    return _geojson(selectors.divisions_layer(request.user, level=level, bbox=selectors.parse_bbox(filters.bbox),
                                              zoom=filters.zoom))


@router.get("/layers/grids", summary="Grid outlines in a bbox (GeoJSON; at most 3,000, else truncated)")
def grids_layer(request, filters: Query[LayerQuery]):
    return _geojson(selectors.grids_layer(request.user, bbox=selectors.parse_bbox(filters.bbox), zoom=filters.zoom))


class Brief(Schema):
    code: str
    name: str


class Worker(Schema):
    display_name: str


class GridOut(Schema):
    code: str
    name: str
    kind: str
    area_m2: float | None
    community: Brief | None
    township: Brief | None
    district: Brief | None
    bbox: list[float | None]
    workers: list[Worker]


@router.get("/grids/{code}", response=GridOut)
def grid_detail(request, code: str):
    return selectors.grid_detail(request.user, code)


class SearchHit(Schema):
    code: str
    name: str
    level: int
    bbox: list[float | None]


class SearchOut(Schema):
    results: list[SearchHit]


@router.get("/search", response=SearchOut)
def search(request, q: str = Query(..., max_length=64)):
    return {"results": selectors.search(request.user, q)}


@router.get("/jurisdiction", summary="Outlines of the caller's jurisdictions (GeoJSON)")
def jurisdiction(request, scope: str = Query("read", pattern="^(read|capture)$",
                                             description="capture: only where the caller records data")):
    return _geojson(selectors.jurisdiction_outline(request.user, capture_only=scope == "capture"))


class LocateOut(Schema):
    lon: float
    lat: float
    grid_code: str | None
    in_jurisdiction: bool


@router.get("/locate", response=LocateOut, summary="The grid covering a point (null outside every grid)")
def locate(request, lon: float = Query(..., ge=-180, le=180), lat: float = Query(..., ge=-90, le=90)):
    hit = selectors.locate_for_user(request.user, [lon], [lat])[0]
    return {"lon": lon, "lat": lat, **hit}


class Point(Schema):
    model_config = {"extra": "forbid"}
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)


class LocateBulkIn(Schema):
    model_config = {"extra": "forbid"}
    points: list[Point] = Field(..., max_length=10000)


class LocateBulkOut(Schema):
    results: list[LocateOut]


@router.post("/locate", response=LocateBulkOut, summary="Bulk point location (at most 10,000 points)")
def locate_bulk(request, payload: LocateBulkIn):
    lon = [p.lon for p in payload.points]
    lat = [p.lat for p in payload.points]
    hits = selectors.locate_for_user(request.user, lon, lat)
    return {"results": [{"lon": x, "lat": y, **h} for x, y, h in zip(lon, lat, hits, strict=True)]}


@router.get("/grids.geojson", summary="Export visible grids as GeoJSON")
def grids_export(request, prefix: str = Query("", max_length=15, pattern=r"^\d*$")):
    return _geojson(selectors.grids_export_geojson(request.user, prefix=prefix))


@router.post("/import", summary="Import grids from a GeoJSON FeatureCollection (all or nothing)")
def grids_import(request, repair: bool = False, dry_run: bool = False):
    try:
        data = json.loads(request.body or b"null")
    except RecursionError:
        raise GridgovError("the GeoJSON document is nested too deeply", code="too_deep") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise FieldError("body", "not valid JSON (%(why)s)", params={"why": str(exc)}) from None
    report = services.grids_import(data=data, actor=request.user, repair=repair, dry_run=dry_run)
    return report.as_dict()
