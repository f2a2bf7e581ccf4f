"""The zh-hans sweep: for every demo role, every page reachable from the navigation (a crawl from
the home page through the links of each page, the first link of each kind: the first row of each
list, so the case, person, house, organisation, care file and import-job details) is rendered in
zh-hans, its visible text extracted (tags, scripts, styles and attribute values dropped) and any
English word outside a short allow-list (brand names, formats, units, code shapes) fails the test.
The 403, 404 and 500 pages and the CSV report of an import are swept too.

The words a person must not see were listed in issue 13; ``test_the_detector_catches_the_words_of_the_issue``
proves the detector sees each of them."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

# Words a Chinese page may show: brand and format names, units, the language switch's own name for
# English, and the shapes of identifiers (checked by CODE_SHAPES below).
ALLOWED = {
    "gridgov", "Open311", "GeoReport", "API", "CSV", "XLSX", "xlsx", "csv", "PDF", "JSON", "GeoJSON", "UTF",
    "English", "ID", "UUID", "Gi", "FDR", "EWMA", "CUSUM", "Farrington", "Poisson", "OpenStreetMap", "Leaflet",
    "ECharts", "WGS", "km", "m", "h", "ms", "kB", "MB", "GB", "T", "SLA", "Excel", "WPS", "iOS", "Android",
    "USCC", "JPEG", "PNG", "WebP", "GBK", "UTF-8", "GB18030",
    # names of statistical methods (after their authors or systems) and symbols: the p-value, d (working days)
    "EARS", "ESSENCE", "Ensign", "Noufaily", "Getis-Ord", "p", "d",
}
# identifiers shown as codes (a letter prefix and digits: case numbers, masked identity numbers
# ending in X, gridgov tokens) are not words
CODE_SHAPES = re.compile(r"^(?:[A-Z]{1,4}\d[\dA-Z\-]*|\d+[A-Z]|[A-Z]\d*|ggv_\w+)$")
NUMBER = re.compile(r"\d+(?:\.\d+)?[eE][-+]?\d+")  # 1.2e-05 is a number, not a word
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*[A-Za-z0-9]|[A-Za-z]")

SKIP_PREFIXES = ("/admin/", "/api/", "/i18n/", "/accounts/logout", "/static/", "/open311/")
SKIP_SUFFIXES = (".pdf", ".csv", ".json", ".geojson", ".xlsx", ".png")


class _Text(HTMLParser):
    """Visible text and the page's links (href of <a>)."""

    HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0
        self._skip_stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in self.HIDDEN or a.get("translate") == "no":
            # translate="no" (HTML) marks data that is not a word of the interface: a person's
            # name as registered (Anna Kim), the signed-in user's login name (admin, street ...)
            self._skip_stack.append(tag)
            self._hidden += 1

    def handle_endtag(self, tag):
        if self._skip_stack and self._skip_stack[-1] == tag:
            self._skip_stack.pop()
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> tuple[str, list[str]]:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split()), parser.links


def english_words(text: str) -> list[str]:
    """English words of ``text`` that are not on the allow-list and not code-shaped."""
    out = []
    for m in WORD.finditer(NUMBER.sub(" ", text)):
        word = m.group()
        if word in ALLOWED or CODE_SHAPES.match(word):
            continue
        out.append(word)
    return out


def _pattern(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def crawl(client: Client, start: list[str], max_pages: int = 80) -> dict[str, list[str]]:
    """url -> English words, for every page reached from ``start`` (one URL per path shape)."""
    seen: set[str] = set()
    found: dict[str, list[str]] = {}
    queue = deque(start)
    while queue and len(found) < max_pages:
        url = queue.popleft()
        path = urlsplit(url).path
        shape = _pattern(path)
        if shape in seen or path.startswith(SKIP_PREFIXES) or path.endswith(SKIP_SUFFIXES):
            continue
        seen.add(shape)
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        text, links = visible(response.content.decode())
        found[url] = english_words(text)
        for href in links:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo city, committed for this module and removed afterwards (as in test_privacy_sweep)."""
    from gridgov.demo.loaders import DEMO_USERS, load_all, reset_all

    with django_db_blocker.unblock():
        load_all(scale="tiny", seed=1, force=True)
        _an_import_with_rejected_rows()
    yield DEMO_USERS
    with django_db_blocker.unblock():
        reset_all(users=True)


def _an_import_with_rejected_rows() -> None:
    """One finished import job of the street user whose rows are all rejected, for different
    reasons: a bad identity number, an unknown grid, a bad date, a missing name."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import override_settings

    from gridgov.accounts.models import User
    from gridgov.registry import jobs

    body = ("公民身份号码,姓名,性别,出生日期,民族,联系方式,人口类型,网格编码,入住日期\n"
            "110105194912310021,张三,1,1949-12-31,01,,01,999999999999999,2024-01-01\n"
            "11010519491231002X,,1,1949-12-31,01,,01,310101001001001,2024-01-01\n"
            "110105194912310048,李四,1,1949-13-45,01,,01,310101001001001,2024-01-01\n")
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}):
        jobs.import_job_start(actor=User.objects.get(username="street"), kind="persons", mode="all-or-nothing",
                              upload=SimpleUploadedFile("人口导入.csv", body.encode()), encoding=None)


def _client(username: str) -> Client:
    from gridgov.accounts.models import User

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(User.objects.get(username=username))
    client.cookies["django_language"] = "zh-hans"
    return client


# Pages other helpers of issue 13 rewrite (the safety briefing/warnings level names, the settings
# page, the trend page: branch `figures`; the map pages and the report form: branch `map`). Their
# English is expected here until those branches are merged; the integrator then empties this.
# TEMPORARY (issue 13): remove each entry when branch `figures` is merged.
EXPECTED_ELSEWHERE: dict[str, set[str]] = {}  # (the safety pages were fixed on their own branch)


@pytest.mark.django_db
def test_every_page_of_every_role_is_in_chinese(demo):
    from gridgov.accounts.models import User
    from gridgov.navigation import flat, navigation_for

    failures = {}
    pages = 0
    shapes = set()
    for role, username in demo.items():
        client = _client(username)
        start = ["/"] + [n["url"] for n in flat(navigation_for(User.objects.get(username=username)))]
        reached = crawl(client, start)
        # refusals: an unknown address, an absent record (404) and a page the role may not see (403)
        for url in ("/no-such-page/", "/cases/999999999/", "/registry/persons/999999999/", "/care/"):
            response = client.get(url)
            if response.status_code in (403, 404):
                text, _ = visible(response.content.decode())
                assert ("未找到" if response.status_code == 404 else "无权访问") in text, (role, url)
                reached[f"{url} ({response.status_code})"] = english_words(text)
        for url, words in reached.items():
            pages += 1
            shapes.add(_pattern(url))
            words = [w for w in words if w not in EXPECTED_ELSEWHERE.get(_pattern(urlsplit(url).path), set())]
            if words:
                failures[(role, url)] = sorted(set(words))
    assert not failures, "\n".join(f"{r} {u}: {w}" for (r, u), w in sorted(failures.items()))
    # the crawl reached the detail pages named in the brief
    for shape in ("/cases/N/", "/registry/persons/N/", "/registry/houses/N/", "/registry/organisations/N/",
                  "/care/social_assistance/N/", "/registry/import/N/", "/no-such-page/ (N)"):
        assert any(s == shape or re.fullmatch(shape.replace("social_assistance", "[a-z_]+"), s) for s in shapes), shape
    assert pages >= 100


def test_the_detector_catches_the_words_of_the_issue():
    html = """<html><head><title>首页</title><style>.a{color:red}</style><script>var active=1;</script></head>
    <body><span class="badge">active</span><td>overdue</td><td>scheduled</td><td>report_in</td>
    <td>contact_visit</td><li>handle</li><li>dispatch</li><li>verify</li><td>CN</td><td>valid</td>
    <td>city-management</td><h1>Not found</h1><a href="/x/" title="attribute words are not seen">网格</a>
    <p>gridgov Open311 API CSV 310101001001 SJ20261203001 110105********002X</p></body></html>"""
    text, links = visible(html)
    assert links == ["/x/"]
    assert english_words(text) == ["active", "overdue", "scheduled", "report_in", "contact_visit", "handle",
                                   "dispatch", "verify", "CN", "valid", "city-management", "Not", "found"]


@pytest.mark.django_db
def test_the_import_report_csv_is_in_chinese(demo):
    from gridgov.registry.models import ImportJob

    job = ImportJob.objects.get(filename="人口导入.csv")
    assert job.state == "done" and job.rejected == 3, (job.state, job.rejected, job.message)
    response = _client("street").get(f"/registry/import/{job.pk}/report.csv")
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "行号,字段,错误代码,原因"
    for line in lines[1:]:
        row, field, code, reason = line.split(",", 3)
        # the code column is the stable machine code; the field and the reason are words
        assert not english_words(field + " " + reason), line


@pytest.mark.django_db
def test_names_instead_of_codes_on_person_and_case_pages(demo):
    """户籍地 and the grid show the division's and the grid's names (the code in small type); the
    escalation entry of a case timeline names the stage and the place, not ``handle`` and a code."""
    from gridgov.cases.models import CaseEvent
    from gridgov.geo.models import Division, Grid
    from gridgov.registry.models import Person

    client = _client("admin")
    divisions = dict(Division.objects.values_list("code", "name"))
    person = Person.objects.filter(hukou_division__in=list(divisions)).order_by("pk").first()
    body = client.get(f"/registry/persons/{person.pk}/").content.decode()
    code = person.hukou_division
    assert f'{divisions[code]} <small class="code">{code}</small>' in body
    grid = Grid.objects.get(code=person.grid_code)
    assert f'{grid.name} <small class="code">{grid.code}</small>' in body

    event = CaseEvent.objects.filter(action="escalate").order_by("pk").first()
    if event is None:  # the tiny demo may hold none: make one through the service
        from datetime import timedelta

        from django.utils import timezone

        from gridgov.cases.models import Case
        from gridgov.cases.services import cases_escalate

        case = Case.objects.filter(stage_deadline__isnull=False, stage_escalated=False).order_by("pk").first()
        cases_escalate(now=case.stage_deadline + timedelta(hours=1) if case.stage_deadline > timezone.now()
                       else timezone.now())
        event = CaseEvent.objects.filter(action="escalate", case=case).get()
    target = event.data["to"]
    place = Division.objects.get(prefix=target).name
    text, _ = visible(client.get(f"/cases/{event.case_id}/").content.decode())
    assert f"超期，已升级至{place}" in text, text
    assert "overdue since" not in text and "system" not in text
