"""The command screen: every tile's number equals an independent count written here (plain ORM
filters and Python loops, not command.screen) and equals the list its link opens; scoping (404
outside, 403 without command.view); escalations addressed to the level; drill-down; the registry;
the role home pages; the query budget. Data: the tiny demo city with every module's demo data."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
DISTRICT = "310101"
OPEN = ("reported", "accepted", "registered", "dispatched", "handling", "handled", "verified", "suspended")


@pytest.fixture
def demo(db):
    from gridgov.demo.loaders import load_all

    load_all(scale="tiny", seed=1)
    cache.clear()
    yield
    cache.clear()


def _user(username):
    from gridgov.accounts.models import User

    user = User.objects.get(username=username)
    user._gridgov_memberships = None
    return user


def _tiles(response) -> dict:
    return {t.key: t for t in response.context["tiles"]}


def _street_of_demo() -> str:
    return next(m.jurisdiction for m in _user("street").active_memberships() if m.role.code == "street_centre")


def test_each_tile_equals_an_independent_count_and_its_list(client, demo):
    from gridgov.care.models import Alert as CareAlert
    from gridgov.care.models import Contact
    from gridgov.cases.models import Case
    from gridgov.safety.models import Alert

    client.force_login(_user("district"))
    response = client.get(f"/command/area/{DISTRICT}/")
    assert response.status_code == 200
    tiles = _tiles(response)
    now = timezone.now()
    today = timezone.localtime(now, SH).date()
    midnight = datetime.combine(today, time.min, SH)
    monday = midnight - timedelta(days=today.weekday())
    cases = Case.objects.filter(grid_code__startswith=DISTRICT)
    assert cases.count() > 50  # the demo has data in the district: the figures are not all zero

    expected = {
        "cases_today": cases.filter(reported_at__gte=midnight).count(),
        "cases_week": cases.filter(reported_at__gte=monday).count(),
        "cases_overdue": cases.filter(state__in=OPEN, stage_deadline__lt=now).count(),
        "cases_queue": sum(1 for c in cases if c.state in ("reported", "accepted", "registered")
                           or (c.extension_request is not None and c.state in ("dispatched", "handling"))),
    }
    for key, n in expected.items():
        assert tiles[key].number == n, key
    assert expected["cases_week"] > 0 and expected["cases_overdue"] > 0

    # the lists behind the case tiles show the same numbers
    for key in expected:
        listed = client.get(tiles[key].url)
        assert listed.status_code == 200
        assert listed.context["total"] == expected[key], key

    # 按期结案率 and satisfaction: cohort = registered this month (Python loop over the rows)
    month_start = datetime.combine(today.replace(day=1), time.min, SH)
    cohort = [c for c in cases if c.registered_at is not None and month_start <= c.registered_at < midnight + timedelta(days=1)]
    on_time = sum(1 for c in cohort if c.state in ("closed", "evaluated") and not c.overdue)
    citizen = [c for c in cohort if c.channel in ("hotline", "open311") or c.caller_phone]
    evaluated = [c for c in citizen if c.satisfaction is not None]
    satisfied = [c for c in evaluated if c.satisfaction >= 4]
    if cohort:
        assert tiles["cases_on_time"].number == pytest.approx(on_time / len(cohort))
    else:
        assert tiles["cases_on_time"].number is None
    if evaluated:
        assert tiles["cases_satisfaction"].number == pytest.approx(len(satisfied) / len(evaluated))
    else:
        assert tiles["cases_satisfaction"].number is None and tiles["cases_satisfaction"].value == "—"
    # the scorecard behind them shows the same rate for the district's row
    card = client.get(tiles["cases_on_time"].url)
    row = next(r for r in card.context["table"] if r["key"] == DISTRICT) if cohort else None
    if row is not None:
        cell = row["cells"][1]  # INDICATORS[1] = on_time_closure_rate
        assert (cell["numerator"], cell["denominator"]) == (on_time, len(cohort))

    # warnings of the last complete week in the district, not closed
    week = today - timedelta(days=today.weekday()) - timedelta(weeks=1)
    warned = Alert.objects.filter(area_code__startswith=DISTRICT, week_start=week, level__gte=1).exclude(status="closed")
    tile = tiles["warnings_week"]
    assert tile.number == warned.count()
    assert [(label, n) for label, n, _c in tile.parts] == [
        (name, warned.filter(level=lv).count()) for lv, name in ((4, "红色"), (3, "橙色"), (2, "黄色"), (1, "蓝色"))]
    listed = client.get(tile.url)
    assert listed.context["page"].paginator.count == warned.count()

    # care: overdue contacts of active, unsealed enrolments; 脱管 and 漏管 alerts open; under 5 suppressed.
    # Six more scheduled contacts fall due yesterday, so that the figure is published (>= 5).
    late = list(Contact.objects.filter(grid_code__startswith=DISTRICT, status="scheduled", due_date__gte=today,
                                       enrolment__sealed=False, enrolment__status="active")
                .order_by("id").values_list("id", flat=True)[:6])
    assert len(late) == 6
    Contact.objects.filter(id__in=late).update(due_date=today - timedelta(days=1))
    cache.clear()
    tiles = _tiles(client.get(f"/command/area/{DISTRICT}/"))
    overdue = [c for c in Contact.objects.filter(grid_code__startswith=DISTRICT).select_related("enrolment")
               if not c.enrolment.sealed and c.enrolment.status == "active"
               and (c.status == "overdue" or (c.status == "scheduled" and c.due_date < today))]
    absent = CareAlert.objects.filter(grid_code__startswith=DISTRICT, status="open", kind="absent", enrolment__sealed=False)
    missed = CareAlert.objects.filter(grid_code__startswith=DISTRICT, status="open", kind="missed_report",
                                      enrolment__sealed=False)
    for key, n in (("care_overdue_contacts", len(overdue)), ("care_absent_open", absent.count()),
                   ("care_missed_open", missed.count())):
        assert tiles[key].number == (n if n >= 5 else None), key
    assert len(overdue) >= 6  # published
    stats = client.get(tiles["care_overdue_contacts"].url)
    assert stats.status_code == 200
    assert f">{len(overdue)}<" in stats.content.decode()

    # registration quality: the demo's finished campaign (last quarter; this quarter's is still
    # running and left out); the figure is the one its estimates page shows for the campaign's area
    quality = tiles["quality"]
    assert quality.url.startswith("/quality/") and quality.url.endswith("/estimates/")
    estimates = client.get(quality.url).content.decode()
    assert quality.value in estimates and "第三季度" in quality.note


def test_every_tile_has_a_formula_and_the_page_shows_it_on_hover(client, demo):
    client.force_login(_user("district"))
    response = client.get(f"/command/area/{DISTRICT}/")
    html = response.content.decode()
    for tile in response.context["tiles"]:
        assert tile.formula, tile.key
        assert f'data-key="{tile.key}"' in html
    titles = re.findall(r'data-testid="tile" data-key="(\w+)"', html)
    assert len(titles) == len(response.context["tiles"])
    assert 'title="当日零时以来' in html or 'title="' in html


def test_escalations_addressed_to_this_level_are_action_items(client, demo):
    from gridgov.cases.models import Case

    case = Case.objects.filter(grid_code__startswith=DISTRICT, state="handling").order_by("id").first()
    other = Case.objects.filter(grid_code__startswith=DISTRICT, state="handling").order_by("id")[1]
    Case.objects.filter(pk=case.pk).update(escalation_level=1, supervising_prefix=DISTRICT,
                                           stage_deadline=timezone.now() - timedelta(hours=2))
    Case.objects.filter(pk=other.pk).update(escalation_level=1, supervising_prefix=other.grid_code[:9])
    client.force_login(_user("district"))
    items = client.get(f"/command/area/{DISTRICT}/").context["actions"]
    escalations = [a for a in items if a.kind == "escalation"]
    expected = Case.objects.filter(state__in=OPEN, escalation_level__gte=1, supervising_prefix=DISTRICT)
    assert 0 < expected.count() <= 20
    assert sorted(a.url for a in escalations) == sorted(f"/cases/{pk}/" for pk in expected.values_list("pk", flat=True))
    assert f"/cases/{case.pk}/" in [a.url for a in escalations]
    assert f"/cases/{other.pk}/" not in [a.url for a in escalations]  # escalated to its street, not the district
    assert {a.colour for a in escalations} == {"red"}
    cache.clear()
    client.force_login(_user("street"))
    street = other.grid_code[:9]
    if street == _street_of_demo():
        items = client.get(f"/command/area/{street}/").context["actions"]
        assert f"/cases/{other.pk}/" in [a.url for a in items]


def test_scope_outside_is_404_and_without_capability_403(client, demo):
    street = _street_of_demo()
    client.force_login(_user("street"))
    assert client.get(f"/command/area/{street}/").status_code == 200
    assert client.get(f"/command/area/{DISTRICT}/").status_code == 404  # above the street: outside
    sibling = f"{DISTRICT}{int(street[6:]) % 9 + 1:03d}"
    assert sibling != street
    assert client.get(f"/command/area/{sibling}/").status_code == 404
    assert client.get(f"/command/area/{street}/map.json").status_code == 200
    assert client.get(f"/command/area/{sibling}/map.json").status_code == 404
    assert client.get("/command/area/31010x/").status_code == 404
    client.force_login(_user("grid"))
    assert client.get(f"/command/area/{street}/").status_code == 403
    assert client.get("/command/").status_code == 403


def test_drill_down_from_the_district_to_a_street(client, demo):
    client.force_login(_user("district"))
    response = client.get(f"/command/area/{DISTRICT}/")
    subs = response.context["subareas"]
    assert subs and all(s["code"].startswith(DISTRICT) and len(s["code"]) == 9 for s in subs)
    from gridgov.cases.models import Case

    for s in subs:
        assert s["open"] == Case.objects.filter(grid_code__startswith=s["code"], state__in=OPEN).count()
    target = max(subs, key=lambda s: s["open"])
    street = client.get(target["url"])
    assert street.status_code == 200
    assert street.context["area"].code == target["code"]
    assert street.context["area"].parent == DISTRICT
    assert _tiles(street)["cases_overdue"].number == Case.objects.filter(
        grid_code__startswith=target["code"], state__in=OPEN, stage_deadline__lt=timezone.now()).count()


def test_map_layers_cluster_the_open_cases(client, demo):
    import json

    from gridgov.cases.models import Case

    client.force_login(_user("district"))
    data = json.loads(client.get(f"/command/area/{DISTRICT}/map.json").content)
    clusters = data["cases"]
    located = Case.objects.filter(grid_code__startswith=DISTRICT, state__in=OPEN, lon__isnull=False)
    assert sum(c[2] for c in clusters) == located.count()
    assert all(len(c[4]) == 12 for c in clusters)  # by community for a district
    assert len(clusters) == len({c.grid_code[:12] for c in located})
    assert {f["properties"]["code"] for f in data["subareas"]["features"]} == {
        s["code"] for s in client.get(f"/command/area/{DISTRICT}/").context["subareas"]}


def test_live_part_refreshes_from_the_cache(client, demo):
    from gridgov.cases.models import Case

    client.force_login(_user("district"))
    first = client.get(f"/command/area/{DISTRICT}/live/")
    assert first.status_code == 200 and 'data-testid="command-tiles"' in first.content.decode()
    n = _tiles(first)["cases_today"].number
    Case.objects.filter(pk=Case.objects.filter(grid_code__startswith=DISTRICT).order_by("id").first().pk).update(
        reported_at=timezone.now())
    assert _tiles(client.get(f"/command/area/{DISTRICT}/live/"))["cases_today"].number == n  # cached (60 s)
    cache.clear()
    assert _tiles(client.get(f"/command/area/{DISTRICT}/live/"))["cases_today"].number in (n, n + 1)


def test_registered_sources_appear_and_forbidden_ones_are_left_out(client, demo):
    from gridgov.command import screen
    from gridgov.core.errors import Forbidden

    def projects(user, code):
        return [screen.Tile("test_figure", "测试指标", "3", 3, "测试指标的公式", "/command/", order=50)]

    def secret(user, code):
        raise Forbidden("no")

    def due(user, code):
        return [screen.ActionItem("project", f"项目到期 {code}", "/command/", None, "yellow")]

    added = [screen.register_tile_source(projects), screen.register_tile_source(secret),
             screen.register_action_source(due)]
    screen.register_tile_source(projects)  # twice: once
    try:
        client.force_login(_user("district"))
        response = client.get(f"/command/area/{DISTRICT}/")
        assert _tiles(response)["test_figure"].number == 3
        assert [a.title for a in response.context["actions"] if a.kind == "project"] == [f"项目到期 {DISTRICT}"]
        assert screen.TILE_SOURCES.count(projects) == 1
    finally:
        screen.TILE_SOURCES.remove(added[0])
        screen.TILE_SOURCES.remove(added[1])
        screen.ACTION_SOURCES.remove(added[2])


@pytest.mark.parametrize(("username", "template"), [
    ("district", "command/screen.html"), ("street", "command/screen.html"), ("grid", "command/home_grid.html"),
    ("dept", "command/home_department.html"), ("social", "command/home_care.html"),
    ("police", "command/home_police.html")])
def test_each_role_lands_on_its_home(client, demo, username, template):
    client.force_login(_user(username))
    response = client.get("/")
    assert response.status_code == 200
    assert template in [t.name for t in response.templates]
    assert "/command/positions/" in response.content.decode()


def test_police_home_shows_warnings_plan_and_rectifications_of_the_district(client, demo):
    from gridgov.prevention import venueflow
    from gridgov.prevention.models import Inspection, PatrolPlan
    from gridgov.safety.models import Alert

    user = _user("police")
    client.force_login(user)
    response = client.get("/")
    ctx = response.context
    html = response.content.decode()
    today = timezone.localdate()
    last_week = today - timedelta(days=today.weekday() + 7)
    active = Alert.objects.filter(area_code__startswith=DISTRICT, week_start=last_week, level__gte=1).exclude(
        status="closed")
    assert ctx["warnings"].number == active.count()
    assert len(ctx["warning_rows"]) == min(active.filter(status="open", level__gte=3).count(), 10)
    next_monday = today + timedelta(days=7 - today.weekday())
    plan = PatrolPlan.objects.filter(area_code=DISTRICT, week_start=next_monday).first()
    assert ctx["plan_week"] == next_monday and ctx["plan"] == plan
    assert ("尚未生成" in html) == (plan is None)
    open_rect = Inspection.objects.filter(grid_code__startswith=DISTRICT, state__in=venueflow.OPEN_STATES)
    assert ctx["inspections_total"] == open_rect.count() > 0
    assert html.count('data-testid="inspection-row"') == min(open_rect.count(), 10)
    overdue = open_rect.filter(state=venueflow.OVERDUE).count()
    assert ctx["inspections_overdue"] >= overdue  # overdue by state, and clocks past the deadline not yet swept
    assert "下周巡逻计划" in html and "场所整改" in html


def test_desk_officer_lands_on_the_one_stop_desk(client, demo):
    client.force_login(_user("desk"))
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/desk/"
    assert client.get(response.url).status_code == 200


def test_auditor_lands_on_the_audit_page_and_positions_stay_reachable(client, demo):
    client.force_login(_user("auditor"))
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/audit/"
    positions = client.get("/command/positions/")
    assert positions.status_code == 200 and 'data-testid="memberships"' in positions.content.decode()


def test_department_home_counts_tasks_by_colour(client, demo):
    from gridgov.cases import selectors

    user = _user("dept")
    client.force_login(user)
    ctx = client.get("/").context
    rows = list(selectors.case_list(user, worklist="department"))
    assert ctx["total"] == len(rows) > 0
    colours = {c: n for c, _label, n in ctx["by_colour"]}
    assert sum(colours.values()) == len(rows)
    now = timezone.now()
    red = sum(1 for c in rows if c.stage_deadline is not None and c.stage_deadline < now)
    assert colours["red"] == red


def test_grid_worker_home_shows_my_grid_tasks_and_reports(client, demo):
    from gridgov.cases.models import Case

    user = _user("grid")
    client.force_login(user)
    ctx = client.get("/").context
    cell = next(m.jurisdiction for m in user.active_memberships() if len(m.jurisdiction) == 15)
    grid = next(g for g in ctx["grids"] if g["code"] == cell)
    assert grid["open"] == Case.objects.filter(grid_code=cell, state__in=OPEN).count()
    assert ctx["mine_total"] == Case.objects.filter(reporter=user).count()
    assert "我的网格" in client.get("/").content.decode()


def test_community_staff_home_names_the_community_as_the_area(client, demo):
    client.force_login(_user("community"))
    html = client.get("/").content.decode()
    assert "我的辖区" in html and "我的网格" not in html and "大泉居委会" in html


def test_query_budget_of_the_district_screen(client, demo, django_assert_max_num_queries):
    client.force_login(_user("district"))
    client.get("/cases/")  # session and memberships warm
    cache.clear()
    with django_assert_max_num_queries(40):
        assert client.get(f"/command/area/{DISTRICT}/").status_code == 200
    with django_assert_max_num_queries(12):  # warm cache: session, user, memberships, area
        assert client.get(f"/command/area/{DISTRICT}/").status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get(f"/command/area/{DISTRICT}/map.json").status_code == 200
