"""Responsible officials and scorecard weights: who may record them, validation, audit."""

from datetime import date

import pytest

from gridgov.core.errors import Forbidden, NotFound, ValidationFailed
from tests.command import score_world as w

world = w.world  # the shared scorecard world (tests/command/score_world.py)


def test_district_records_a_street_official_with_a_term(world):
    from gridgov.command import responsibility_services as services
    from gridgov.command.scorecard_selectors import officials
    from gridgov.core.models import AuditEvent

    o = services.official_record(actor=world["district"], area_code=w.A, post="police_head", person_name="王建国",
                                 unit="南京东路派出所", term_start=date(2025, 1, 1))
    services.official_record(actor=world["district"], area_code=w.A, post="deputy_secretary", person_name="李红",
                             unit="南京东路街道党工委", term_start=date(2020, 1, 1), term_end=date(2024, 12, 31))
    assert [x.person_name for x in officials(world["street_a"], w.A, on=date(2026, 10, 1))] == ["王建国"]
    assert {x.person_name for x in officials(world["district"], w.DISTRICT, on=date(2023, 6, 1))} == {"李红"}
    services.official_end_term(actor=world["district"], official_id=o.pk, term_end=date(2026, 6, 30))
    assert officials(world["district"], w.A, on=date(2026, 10, 1)) == []
    assert AuditEvent.objects.filter(object_type="command_official", action="CREATE").count() == 2
    assert AuditEvent.objects.filter(object_type="command_official", action="UPDATE").count() == 1


def test_a_street_cannot_record_its_own_officials_nor_another_district(world):
    from gridgov.command import responsibility_services as services

    with pytest.raises(NotFound):
        services.official_record(actor=world["street_a"], area_code=w.A, post="police_head", person_name="张三",
                                 unit="某派出所", term_start=date(2025, 1, 1))
    with pytest.raises(NotFound):
        services.official_record(actor=world["far"], area_code=w.A, post="police_head", person_name="张三",
                                 unit="某派出所", term_start=date(2025, 1, 1))
    with pytest.raises(Forbidden):
        services.official_record(actor=world["worker"], area_code=w.A, post="police_head", person_name="张三",
                                 unit="某派出所", term_start=date(2025, 1, 1))


def test_official_validation(world):
    from gridgov.command import responsibility_services as services
    from gridgov.core.errors import FieldError

    with pytest.raises(FieldError) as exc:
        services.official_record(actor=world["district"], area_code=w.A, post="mayor", person_name="张三",
                                 unit="某单位", term_start=date(2025, 1, 1))
    assert exc.value.field == "post"
    with pytest.raises(FieldError) as exc:
        services.official_record(actor=world["district"], area_code=w.A, post="police_head", person_name="张三",
                                 unit="某单位", term_start=date(2025, 1, 1), term_end=date(2024, 1, 1))
    assert exc.value.field == "term_end"
    with pytest.raises(FieldError) as exc:
        services.official_record(actor=world["district"], area_code=w.A, post="police_head", person_name="  ",
                                 unit="某单位", term_start=date(2025, 1, 1))
    assert exc.value.field == "person_name"


def test_weights_only_by_the_district_and_all_errors_reported(world, client):
    from gridgov.command import responsibility_services as services
    from gridgov.command.scorecard import BY_KEY
    from gridgov.command.scorecard_selectors import weights_of

    good = dict.fromkeys(BY_KEY, "10")
    with pytest.raises(NotFound):
        services.weights_set(actor=world["street_a"], district_code=w.DISTRICT, weights=good)
    with pytest.raises(ValidationFailed) as exc:
        services.weights_set(actor=world["district"], district_code=w.DISTRICT,
                             weights={**good, "satisfaction": "x", "care_contact": "-1"})
    assert {d.field for d in exc.value.details} == {"satisfaction", "care_contact"}
    assert weights_of(w.DISTRICT)["satisfaction"] == 20  # nothing written
    client.force_login(world["district"])
    r = client.post(f"/command/scorecards/{w.DISTRICT}/weights/", {**good, "on_time_closure": "50", "reason": "调整"})
    assert r.status_code == 302
    assert weights_of(w.DISTRICT)["on_time_closure"] == 50
    client.force_login(world["street_a"])
    assert client.get(f"/command/scorecards/{w.DISTRICT}/weights/").status_code == 404


def test_responsibility_page(world, client):
    client.force_login(world["district"])
    r = client.post(f"/command/responsibility/{w.DISTRICT}/", {"area_code": w.B, "post": "police_head",
                                                                "person_name": "赵强", "unit": "外滩派出所",
                                                                "term_start": "2025-03-01"}, follow=True)
    html = r.content.decode()
    assert "赵强" in html and "派出所所长" in html and "责任人已登记" in html
    client.force_login(world["street_b"])
    assert "赵强" in client.get(f"/command/responsibility/{w.B}/").content.decode()
    client.force_login(world["street_a"])
    assert client.get(f"/command/responsibility/{w.B}/").status_code == 404
