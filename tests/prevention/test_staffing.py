"""The staffing review: numbers per street against residents, migrants, reported incidents and
area; Tukey outliers marked (hand-worked quartiles); writes audited and scoped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.core.errors import FieldError, Forbidden, NotFound
from gridgov.core.models import AuditEvent
from gridgov.prevention import staffing_selectors, staffing_services
from gridgov.registry.models import Person
from gridgov.safety.models import Category, Incident

STREETS = ["310101001", "310101002", "310101003", "310101004", "310101005"]


@pytest.fixture
def police(city, make_user):
    return make_user("police1", ("police_officer", "310101"))


def _residents(street: str, n: int, migrants: int) -> None:
    Person.objects.bulk_create([
        Person(name=f"居民{i}", doc_type="99", doc_number=f"{street}-{i}", grid_code=f"{street}001001",
               population_type="02" if i < migrants else "01") for i in range(n)])


def test_tukey_fences_by_hand():
    # 200, 300, 400, 500, 3000: linear quartiles Q1 = 300, Q3 = 500, IQR = 200 -> fences 0 and 800
    assert staffing_selectors.tukey_fences([200, 300, 400, 500, 3000]) == pytest.approx((0.0, 800.0))
    assert staffing_selectors.tukey_fences([1, 2, 3]) is None


def test_review_ratios_and_outliers(police):
    for i, street in enumerate(STREETS):
        _residents(street, 100, migrants=10 * (i + 1))
        staffing_services.staffing_set(actor=police, station=f"第{i + 1}派出所", street_code=street,
                                       police=(2, 3, 4, 5, 30)[i], auxiliary=4, as_of=dt.date(2026, 11, 1))
    # a second station in the first street adds to it
    staffing_services.staffing_set(actor=police, station="水上派出所", street_code=STREETS[0], police=1,
                                   auxiliary=0, as_of=dt.date(2026, 11, 1))
    cat = Category.objects.order_by("code").first()
    now = timezone.now()
    Incident.objects.bulk_create([Incident(category=cat, occurred_at=now, week_start=timezone.localdate(), lon=0,
                                           lat=0, grid_code=f"{STREETS[1]}001001", origin=o)
                                  for o in ["reported"] * 8 + ["discovered"] * 5])
    review = staffing_selectors.staffing_review(police)
    rows = {r["code"]: r for r in review["rows"]}
    assert list(rows) == STREETS
    first = rows[STREETS[0]]
    assert first["stations"] == ["水上派出所", "第1派出所"] and first["police"] == 3 and first["auxiliary"] == 4
    assert first["residents"] == 100 and first["migrant_share"] == pytest.approx(10.0)
    assert rows[STREETS[1]]["incidents"] == 8  # reported only
    assert rows[STREETS[1]]["ratios"]["staff_per_100_incidents"] == pytest.approx(100 * 7 / 8)
    # police per 10k: 300, 300, 400, 500, 3000 -> Q1 300, Q3 500, upper fence 800: only the last
    marks = {code: r["cells"][0]["mark"] for code, r in rows.items()}
    assert marks == {STREETS[0]: "", STREETS[1]: "", STREETS[2]: "", STREETS[3]: "", STREETS[4]: "high"}
    assert rows[STREETS[4]]["ratios"]["police_per_10k"] == pytest.approx(3000.0)
    # a street without area in the register has no per-km² ratio; the demo streets have one
    assert rows[STREETS[4]]["ratios"]["staff_per_km2"] is None
    assert rows[STREETS[0]]["km2"] > 0


def test_staffing_writes_validated_audited_scoped(police, make_user):
    row = staffing_services.staffing_set(actor=police, station="南京东路派出所", street_code="310101002",
                                         police=40, auxiliary=60, as_of=dt.date(2026, 11, 1))
    again = staffing_services.staffing_set(actor=police, station="南京东路派出所", street_code="310101002",
                                           police=42, auxiliary=60, as_of=dt.date(2026, 12, 1))
    assert again.pk == row.pk and again.police == 42 and again.version == 2
    events = list(AuditEvent.objects.filter(object_type="prevention_staffing").order_by("id"))
    assert [e.action for e in events] == ["CREATE", "UPDATE"]
    assert events[1].changes["before"]["police"] == 40
    for kwargs in ({"station": " "}, {"street_code": "3101010"}, {"police": -1}):
        args = {"station": "X", "street_code": "310101002", "police": 1, "auxiliary": 1, **kwargs}
        with pytest.raises(FieldError):
            staffing_services.staffing_set(actor=police, as_of=dt.date(2026, 11, 1), **args)
    other = make_user("p2", ("police_officer", "310104"))
    with pytest.raises(NotFound):
        staffing_services.staffing_set(actor=other, station="X", street_code="310101002", police=1, auxiliary=1,
                                       as_of=dt.date(2026, 11, 1))
    assert staffing_selectors.staffing_review(other)["rows"] == []  # outside: not seen
    handler = make_user("dh", ("department_handler", "310101"))
    with pytest.raises(Forbidden):
        staffing_selectors.staffing_review(handler)


def test_staffing_page(police, client):
    staffing_services.staffing_set(actor=police, station="南京东路派出所", street_code="310101002", police=40,
                                   auxiliary=60, as_of=dt.date(2026, 11, 1))
    client.force_login(police)
    page = client.get("/prevention/staffing/").content.decode()
    assert "警力配置评估" in page and "南京东路派出所" in page and "每万人口民警数" in page
    resp = client.post("/prevention/staffing/save/", {"station": "外滩派出所", "street_code": "310101001",
                                                      "police": "12", "auxiliary": "20", "as_of": "2026-11-01"})
    assert resp.status_code == 302
    assert "外滩派出所" in client.get("/prevention/staffing/").content.decode()
    resp = client.post("/prevention/staffing/save/", {"station": "外滩派出所", "street_code": "310101001",
                                                      "police": "x", "auxiliary": "20"}, follow=True)
    assert "须为整数" in resp.content.decode()
