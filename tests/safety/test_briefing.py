"""The weekly briefing's figures, checked number by number: against literals for a hand-made week,
and against raw SQL over the demo's rows (both databases). Also the default week (the last
complete week) of the briefing, the situation page and the trend chart, and the situation map's
per-area aggregate."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import shapely
from django.db import connection
from django.test import Client

from gridgov.geo.models import Grid, boundary_wkb
from gridgov.safety import selectors, services
from gridgov.safety.models import Alert, Category, Hotspot

TZ = ZoneInfo("Asia/Shanghai")
W = date(2026, 11, 23)  # a Monday
G1 = "310101001001001"  # street 310101001 (嘉桥街道), community 001
STREET = "310101001"


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _last_complete_week() -> date:
    """Monday of the week before the current local week (written out, not from the code)."""
    today = datetime.now(TZ).date()
    return today - timedelta(days=today.weekday() + 7)


def _point(grid_code: str) -> tuple[float, float]:
    grid = Grid.objects.get(code=grid_code)
    pt = shapely.from_wkb(boundary_wkb(grid.boundary)).representative_point()
    return pt.x, pt.y


def _rows(grid_code: str, category: str, week: date, origin: str, n: int) -> list[dict]:
    lon, lat = _point(grid_code)
    return [{"category": category, "occurred_at": datetime(week.year, week.month, week.day, 12, tzinfo=TZ)
             + timedelta(days=i % 3, minutes=i), "lon": lon, "lat": lat, "origin": origin} for i in range(n)]


@pytest.fixture
def week_data(city, make_user):
    """A hand-made set of incidents, warnings and hotspots around week W (see the literals below)."""
    police = make_user("police_b", ("police_officer", "310101"))
    g2 = Grid.objects.filter(code__startswith="310101001002").order_by("code").values_list("code", flat=True)[0]
    out = Grid.objects.filter(code__startswith="310101002").order_by("code").values_list("code", flat=True)[0]
    prev, year_ago = W - timedelta(weeks=1), W - timedelta(weeks=52)
    rows = (
        _rows(G1, "02", W, "reported", 2) + _rows(g2, "02", W, "reported", 1) + _rows(out, "02", W, "reported", 4)
        + _rows(g2, "05", W, "reported", 2)
        + _rows(G1, "02", W, "discovered", 2) + _rows(g2, "08", W, "discovered", 1) + _rows(out, "08", W, "discovered", 3)
        + _rows(G1, "02", prev, "reported", 1) + _rows(g2, "04", prev, "reported", 4) + _rows(out, "04", prev, "reported", 2)
        + _rows(G1, "05", year_ago, "reported", 2) + _rows(G1, "02", year_ago, "discovered", 1)
        + _rows(G1, "02", W + timedelta(weeks=1), "reported", 5)  # the week after: never counted
    )
    services.incidents_import(actor=police, rows=rows)
    cat = {c.code: c for c in Category.objects.all()}

    def alert(area, code, week, level, status="open"):
        Alert.objects.create(area_code=area, area_level=len(area), category=cat[code], week_start=week,
                             method="farrington", observed=5, expected=1.0, threshold=3.0, pvalue=0.001, score=2.0,
                             level=level, status=status)

    alert(STREET, "02", W, 1)
    alert(G1, "02", W, 1)
    alert("310101001001", "02", W, 3)
    alert("310101002", "02", W, 4)  # another street
    alert(STREET, "04", prev, 2)  # earlier, still open
    alert(STREET, "04", W - timedelta(weeks=2), 1, status="closed")

    def spot(grid, code, kind, observed, expected):
        Hotspot.objects.create(grid_code=grid, category=cat[code], week_start=W, weeks=4, observed=observed,
                               expected=expected, z=3.0 if kind.startswith("hot") else -3.0, pvalue=0.001,
                               qvalue=0.004, kind=kind)

    spot(G1, "02", "hot99", 5, 1.2)
    spot(g2, "02", "hot95", 0, 0.8)  # a cold cell in a hot neighbourhood: not reported
    spot(g2, "05", "cold95", 0, 2.0)
    spot(out, "02", "hot99", 9, 1.0)  # another street
    return {"g2": g2, "out": out, "street": make_user("street_b", ("street_centre", STREET))}


def test_every_number_of_the_briefing_for_a_hand_made_week(week_data):
    b = selectors.briefing(week_data["street"], week=W + timedelta(days=3))  # any day picks its week
    assert b["week"] == W and b["week_end"] == date(2026, 11, 29) and b["default_week"] is False
    table = {c["code"]: (c["week"], c["previous"], c["year_ago"], c["discovered"]) for c in b["categories"]}
    assert table == {"02": (3, 1, 0, 2), "04": (0, 4, 0, 0), "05": (2, 0, 2, 0), "08": (0, 0, 0, 1)}
    assert (b["total"], b["total_previous"], b["total_year_ago"], b["total_discovered"]) == (5, 5, 2, 3)
    assert [(lv["name"], lv["n"]) for lv in b["by_level"]] == [("blue", 2), ("yellow", 0), ("orange", 1), ("red", 0)]
    assert b["alerts_total"] == 3 and b["older_active"] == 1
    assert [r["alert"].area_code for r in b["alerts"]] == ["310101001001", STREET, G1]
    assert {(r["hotspot"].grid_code, r["hotspot"].category.code) for r in b["hotspots"]} == {
        (G1, "02"), (week_data["g2"], "05")}
    # the page shows the same figures, the level names and the grid's name in Chinese
    body = _client(week_data["street"]).get(f"/safety/briefing/?week={W}").content.decode()
    for code, values in table.items():
        cells = "".join(f"<td>{v}</td>" for v in values)
        assert f'data-code="{code}"' in body and cells in body.split(f'data-code="{code}"')[1].split("</tr>")[0]
    assert "<th>5</th><th>5</th><th>2</th><th>3</th>" in body
    assert "蓝色（四级） 2" in body and "橙色（二级） 1" in body and "红色（一级） 0" in body
    assert "<th>区域</th>" in body and "面积" not in body
    assert "凤汇居委会第1网格" in body and "hot99" not in body and "热点（99%）" in body
    assert "2026-11-23 至 2026-11-29" in body and "所选的周" in body


def test_the_briefing_on_the_demo_agrees_with_sql(demo, make_user):
    district = make_user("dist_b", ("district_centre", "310101"))
    b = selectors.briefing(district)
    week = _last_complete_week()
    assert b["week"] == week and b["default_week"] is True
    weeks = {"week": week, "previous": week - timedelta(weeks=1), "year_ago": week - timedelta(weeks=52)}
    with connection.cursor() as cur:
        cur.execute("SELECT c.code, i.origin, i.week_start, COUNT(*) FROM safety_incident i "
                    "JOIN safety_category c ON c.id = i.category_id "
                    "WHERE i.grid_code LIKE %s AND i.week_start IN (%s, %s, %s) "
                    "GROUP BY c.code, i.origin, i.week_start", ["310101%", *weeks.values()])
        raw = cur.fetchall()
        cur.execute("SELECT level, COUNT(*) FROM safety_alert WHERE area_code LIKE %s AND week_start = %s "
                    "GROUP BY level", ["310101%", week])
        levels = dict(cur.fetchall())
        cur.execute("SELECT COUNT(*) FROM safety_alert WHERE area_code LIKE %s AND week_start < %s "
                    "AND status <> 'closed'", ["310101%", week])
        (older,) = cur.fetchone()
        cur.execute("SELECT COUNT(*), SUM(CASE WHEN (kind LIKE %s AND (observed < 1 OR observed <= expected)) "
                    "OR (kind LIKE %s AND observed >= expected) THEN 1 ELSE 0 END) FROM safety_hotspot",
                    ["hot%", "cold%"])
        stored_spots, breaking_the_rule = cur.fetchone()
    key = {str(v): k for k, v in weeks.items()}
    expected: dict[str, dict[str, int]] = {}
    for code, origin, week_start, n in raw:
        column = "discovered" if origin == "discovered" else key[str(week_start)[:10]]
        if origin == "discovered" and str(week_start)[:10] != str(week):
            continue
        expected.setdefault(code, {"week": 0, "previous": 0, "year_ago": 0, "discovered": 0})[column] += n
    got = {c["code"]: {k: c[k] for k in ("week", "previous", "year_ago", "discovered")} for c in b["categories"]}
    assert got == expected
    assert b["total"] == sum(v["week"] for v in expected.values()) > len(expected)  # the bug: 1 per category
    assert b["total_previous"] == sum(v["previous"] for v in expected.values())
    assert b["total_year_ago"] == sum(v["year_ago"] for v in expected.values())
    assert b["total_discovered"] == sum(v["discovered"] for v in expected.values())
    assert {lv["level"]: lv["n"] for lv in b["by_level"]} == {lv: levels.get(lv, 0) for lv in (1, 2, 3, 4)}
    assert b["alerts_total"] == sum(levels.values()) > 0 and b["older_active"] == older
    assert stored_spots > 0 and breaking_the_rule == 0  # hotspots_refresh stores only what the rule allows
    for row in b["hotspots"]:  # the reporting rule holds for what is shown
        h = row["hotspot"]
        assert (h.observed >= 1 and h.observed > h.expected) if h.kind.startswith("hot") else h.observed < h.expected


def test_pages_default_to_the_last_complete_week(demo, make_user):
    week = _last_complete_week()
    street = make_user("street_w", ("street_centre", STREET))
    client = _client(street)
    assert selectors.default_week() == week
    assert selectors.default_week(date(2026, 12, 3)) == date(2026, 11, 23)  # a Thursday
    assert selectors.default_week(date(2026, 11, 30)) == date(2026, 11, 23)  # a Monday: last week is complete
    assert selectors.default_week(date(2026, 11, 29)) == date(2026, 11, 16)  # a Sunday: its week is not
    shown = f"{week:%Y-%m-%d} 至 {week + timedelta(days=6):%Y-%m-%d}"
    page = client.get("/safety/").content.decode()
    assert shown in page.split('data-testid="situation-week"')[1].split("</p>")[0] and "最近一个完整周" in page
    assert f"hotspots?week={week:%Y-%m-%d}" in page
    brief = client.get("/safety/briefing/").content.decode()
    assert shown in brief and "最近一个完整周" in brief
    tr = selectors.trend(street, area=STREET, category="02")
    assert tr["weeks"][-1] == week.isoformat()
    chosen = client.get("/safety/?week=2026-11-04").content.decode()  # a Wednesday: its Monday
    assert "2026-11-02 至 2026-11-08" in chosen and "所选的周" in chosen


def test_the_situation_map_colours_an_area_by_its_highest_warning(week_data):
    """The per-area aggregate groups by area only (the selector's ordering left out of GROUP BY)."""
    fc = json.loads(selectors.situation_geojson(week_data["street"], week=W, area_level=12))
    props = {f["properties"]["code"]: f["properties"] for f in fc["features"]}
    Alert.objects.create(area_code="310101001001", area_level=12, category=Category.objects.get(code="05"),
                         week_start=W, method="ewma", observed=2, expected=1.0, threshold=2.0, pvalue=0.01, score=1.0,
                         level=1)
    fc = json.loads(selectors.situation_geojson(week_data["street"], week=W, area_level=12))
    props = {f["properties"]["code"]: f["properties"] for f in fc["features"]}
    assert props["310101001001"]["level"] == 3 and props["310101001001"]["warnings"] == 2
    assert props["310101001001"]["level_name"] == "orange"
    # (other communities may take a level from a warning on their street: `level`; their own is none)
    assert all(p["own_level"] == 0 for code, p in props.items() if code != "310101001001")
