"""The monthly scorecard computed from data: hand-worked numbers, weights, trend, scope, drill-down."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.command import score_world as w


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(make_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return w.build(make_user)


def _rows(sc):
    return {r["code"]: r for r in [sc["area"], *sc["children"]]}


def test_district_numbers_by_hand(world):
    from gridgov.command.scorecard_selectors import area_scorecard

    sc = area_scorecard(world["district"], w.DISTRICT, w.OCT)
    rows = _rows(sc)
    a, b, c, d = rows[w.A], rows[w.B], rows[w.C], rows[w.DISTRICT]
    assert (a["measures"]["on_time_closure"]["numerator"], a["measures"]["on_time_closure"]["denominator"]) == (2, 4)
    assert (a["measures"]["satisfaction"]["numerator"], a["measures"]["satisfaction"]["denominator"]) == (1, 2)
    assert (a["measures"]["care_contact"]["numerator"], a["measures"]["care_contact"]["denominator"]) == (3, 4)
    assert a["measures"]["warning_response"]["value"] is None
    assert a["measures"]["project_completion"]["value"] is None  # hook not registered: no data
    # 100 * (30*0.5 + 20*0.5 + 15*0.75) / (30 + 20 + 15)
    assert a["score"] == pytest.approx(100 * 36.25 / 65)
    assert b["score"] == pytest.approx(100.0)
    assert c["score"] is None and c["rank"] is None
    assert (b["rank"], a["rank"], a["of"]) == (1, 2, 2)
    # district: 4/6 on time, 2/3 satisfied, 3/4 contacts
    assert d["score"] == pytest.approx(100 * (30 * 4 / 6 + 20 * 2 / 3 + 15 * 0.75) / 65)
    # trend: A scored 100 in September (one case closed on time, nothing else with data)
    assert a["previous"] == pytest.approx(100.0)
    assert a["trend"] == pytest.approx(100 * 36.25 / 65 - 100)
    assert b["trend"] is None  # no September score


def test_departments_by_hand(world):
    from gridgov.command.scorecard_selectors import area_scorecard

    sc = area_scorecard(world["district"], w.DISTRICT, w.OCT)
    depts = {r["code"]: r for r in sc["departments"]}
    cm = depts["310101-cm"]
    assert (cm["measures"]["on_time_handling"]["numerator"], cm["measures"]["on_time_handling"]["denominator"]) == (1, 2)
    assert (cm["measures"]["satisfaction"]["numerator"], cm["measures"]["satisfaction"]["denominator"]) == (1, 1)
    assert cm["score"] == pytest.approx(100 * (30 * 0.5 + 20 * 1.0) / 50)
    assert depts["310101001-ys"]["score"] is None


def test_non_default_weights_change_the_score(world):
    from gridgov.command import responsibility_services as services
    from gridgov.command.scorecard import BY_KEY
    from gridgov.command.scorecard_selectors import area_scorecard

    before = _rows(area_scorecard(world["district"], w.DISTRICT, w.OCT))[w.A]["score"]
    weights = dict.fromkeys(BY_KEY, "5")
    weights.update({"on_time_closure": "10", "satisfaction": "0", "care_contact": "30"})
    services.weights_set(actor=world["district"], district_code=w.DISTRICT, weights=weights, reason="年度考核方案")
    rows = _rows(area_scorecard(world["district"], w.DISTRICT, w.OCT))
    # satisfaction weighs 0 now: 100 * (10*0.5 + 30*0.75) / 40 — shown at once (the cache key holds the weights)
    assert rows[w.A]["score"] == pytest.approx(68.75)
    assert rows[w.A]["score"] != pytest.approx(before)
    assert rows[w.B]["score"] == pytest.approx(100.0)


def test_hook_registered_counts(world):
    from gridgov.command import hooks
    from gridgov.command.scorecard_selectors import area_scorecard

    hooks.PROJECT_COMPLETION.register(lambda code, start, end: 0.0 if code == w.B else None)
    try:
        rows = _rows(area_scorecard(world["district"], w.DISTRICT, w.OCT))
    finally:
        hooks.PROJECT_COMPLETION.register(None)
    # B: 100 * (30*1 + 20*1 + 10*0) / 60
    assert rows[w.B]["score"] == pytest.approx(100 * 50 / 60)


def test_warning_response_from_the_audit_trail(world):
    from gridgov.command.scorecard_selectors import month_of, warning_items
    from gridgov.safety.models import Alert, Category
    from gridgov.safety.services import alert_transition, categories_sync

    categories_sync()
    cat = Category.objects.get(code="02")
    now = timezone.now()
    fast = Alert.objects.create(area_code=w.A + "001", area_level=12, category=cat, week_start=now.date(),
                                method="x", observed=5, expected=1, threshold=3, pvalue=0.01, score=2, level=2,
                                created_at=now - timedelta(hours=3))
    slow = Alert.objects.create(area_code=w.A, area_level=9, category=cat, week_start=now.date() - timedelta(days=7),
                                method="x", observed=5, expected=1, threshold=3, pvalue=0.01, score=2, level=3,
                                created_at=now - timedelta(hours=30))
    alert_transition(actor=world["district"], alert_id=fast.pk, action="assign", version=1, responder="南京东路派出所")
    alert_transition(actor=world["district"], alert_id=slow.pk, action="assign", version=1, responder="南京东路派出所")
    alert_transition(actor=world["district"], alert_id=slow.pk, action="close", version=2, note="已处置")
    months = {month_of(timezone.localtime(now - timedelta(hours=h)).date()) for h in (3, 30)}
    items = {i.alert_id: i for m in months for i in warning_items(w.A, m)}
    assert items[fast.pk].in_time is True
    assert items[slow.pk].in_time is False
    assert items[fast.pk].hours_to_assign == pytest.approx(3, abs=0.05)
    assert items[slow.pk].hours_to_close == pytest.approx(30, abs=0.05)
    assert items[fast.pk].closed_at is None


def test_street_centre_sees_only_its_own_street(world, client):
    client.force_login(world["street_a"])
    assert client.get(f"/command/scorecards/{w.B}/").status_code == 404
    assert client.get(f"/command/scorecards/{w.DISTRICT}/").status_code == 404
    assert client.get(f"/command/scorecards/{w.B}/2026-10/on_time_closure/").status_code == 404
    assert client.get(f"/command/scorecards/{w.B}/export.xlsx?month=2026-10").status_code == 404
    page = client.get(f"/command/scorecards/{w.A}/?month=2026-10")
    assert page.status_code == 200
    html = page.content.decode()
    assert "南京东路街道" in html and "外滩街道" not in html
    assert 'data-testid="area-rank">2 / 2<' in html
    # the district's department is outside the street's jurisdiction; its own department is shown
    assert "黄浦区城管执法局" not in html and "南京东路街道城运中心" in html


def test_other_district_and_missing_capability(world, client):
    client.force_login(world["far"])
    assert client.get(f"/command/scorecards/{w.DISTRICT}/").status_code == 404
    client.force_login(world["worker"])
    assert client.get(f"/command/scorecards/{w.A}/").status_code == 403


def test_each_number_equals_its_list(world, client):
    from gridgov.command.scorecard_selectors import area_scorecard, drilldown

    sc = area_scorecard(world["district"], w.DISTRICT, w.OCT)
    a = _rows(sc)[w.A]
    cases = drilldown(world["district"], w.A, w.OCT, "on_time_closure")["items"]
    assert len(cases) == a["measures"]["on_time_closure"]["denominator"]
    assert sum(c.counts["closed_on_time"] for c in cases) == a["measures"]["on_time_closure"]["numerator"]
    contacts = drilldown(world["district"], w.A, w.OCT, "care_contact")["items"]
    assert sum(r["item"].due for r in contacts) == 4 and sum(r["item"].on_time for r in contacts) == 3
    client.force_login(world["district"])
    page = client.get(f"/command/scorecards/{w.A}/2026-10/on_time_closure/")
    assert page.status_code == 200 and page.content.decode().count('data-testid="drill-row"') == 4
    dept = client.get(f"/command/scorecards/{w.DISTRICT}/2026-10/on_time_handling/?department=310101-cm")
    assert dept.content.decode().count('data-testid="drill-row"') == 2


def test_district_page_renders_in_chinese(world, client):
    client.force_login(world["district"])
    html = client.get(f"/command/scorecards/{w.DISTRICT}/?month=2026-10").content.decode()
    for word in ("按期结案率", "满意率", "走访完成率", "无数据", "月度考核", "排名"):
        assert word in html
    assert "当月立案事件中按期结案数 / 当月立案数" in html  # the formula on hover


def test_queries_do_not_grow_with_the_data(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gridgov.command.scorecard_selectors import compute_district, weights_of

    with CaptureQueriesContext(connection) as first:
        compute_district(w.DISTRICT, w.OCT, weights_of(w.DISTRICT))
    for i in range(15):
        w.case(w.B if i % 2 else w.A, w.at(w.OCT.replace(day=12), 9 + i % 8), lead=world["cm"], handled_on_time=True)
        w.contact(w.B, w.OCT.replace(day=15), done_on=w.OCT.replace(day=14))
    with django_assert_max_num_queries(len(first.captured_queries)):
        compute_district(w.DISTRICT, w.OCT, weights_of(w.DISTRICT))
