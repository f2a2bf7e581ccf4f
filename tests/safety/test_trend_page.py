"""The trend page takes an area by name (the picker) or by code; bad input answers a Chinese 400
page with the navigation, an area outside the jurisdiction the 404 page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.refusal_pages import STREET_CENTRE, assert_refusal, nav_entries

NAV = STREET_CENTRE  # a street centre's navigation (care: its figures)


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def police(city, make_user):
    return _client(make_user("police_t", ("police_officer", "310101")))


@pytest.fixture
def street(city, make_user):
    return _client(make_user("street_t", ("street_centre", "310101001")))


def _shown_area(body: str) -> str:
    """The code in the page's heading (the area the chart shows)."""
    match = re.search(r'<h1>[^<]*<small class="code">(\d+)</small>', body)
    assert match, "no area heading"
    return match.group(1)


@pytest.mark.parametrize("area, code", [
    ("黄浦区", "310101"),  # a name
    ("嘉桥街道 310101001", "310101001"),  # what the picker puts in the box
    ("  凤汇居委会  ", "310101001001"),  # spaces around a name
    ("310101002", "310101002"),  # a code
    ("凤汇居委会第1网格", "310101001001001"),  # a grid by its name
])
def test_an_area_by_name_or_code(police, area, code):
    r = police.get("/safety/trend/", {"area": area, "category": "05"})
    assert r.status_code == 200
    body = r.content.decode()
    assert _shown_area(body) == code
    assert 'data-testid="trend-chart"' in body


def test_the_picker_lists_the_divisions_of_the_jurisdiction_only(street):
    body = street.get("/safety/trend/").content.decode()
    options = re.findall(r'<option value="([^"]+) (\d+)">', body.split('data-testid="trend-area-options">')[1].split("</datalist>")[0])
    codes = [c for _, c in options]
    assert codes[0] == "310101001" and ("嘉桥街道", "310101001") in options
    assert len(codes) == 7 and all(c.startswith("310101001") for c in codes)  # the street and its 6 communities
    assert _shown_area(body) == "310101001"  # default: the user's own area


@pytest.mark.parametrize("area, words", [
    ("abc", "没有名为“abc”的区域"),
    ("3101010", "区域代码应为 6 位（区）、9 位（街道）、12 位（社区）或 15 位（网格）；3101010 为 7 位"),
    ("x" * 81, "区域过长"),
    ("泰林街道", "没有名为“泰林街道”的区域"),  # exists, but in another street: not named to this user
])
def test_a_bad_area_is_a_chinese_400_page_with_the_navigation(street, area, words):
    r = street.get("/safety/trend/", {"area": area, "category": "02"})
    assert r.status_code == 400
    body = r.content.decode()
    assert '<html lang="zh-hans">' in body and "<h1>无法显示该趋势</h1>" in body
    assert words in body.split('data-testid="bad-request-message">')[1].split("</p>")[0]
    assert nav_entries(body) == NAV
    assert 'data-testid="trend-form"' in body  # the picker again, to try another


def test_a_bad_category_is_a_400_page(street):
    r = street.get("/safety/trend/", {"area": "310101001", "category": "zz"})
    assert r.status_code == 400 and "未知类别“zz”" in r.content.decode()


def test_an_area_outside_the_jurisdiction_or_absent_is_the_404_page(street):
    assert_refusal(street.get("/safety/trend/", {"area": "310101002", "category": "02"}), 404, NAV)
    assert_refusal(street.get("/safety/trend/", {"area": "310101001099", "category": "02"}), 404, NAV)  # no such
    assert_refusal(street.get("/safety/trend/", {"area": "310101", "category": "02"}), 404, NAV)  # wider than scope
