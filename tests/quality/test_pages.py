"""The quality pages: who sees what (403 without the capability, 404 outside the area), the design
form draws and assigns, the phone visit form records what was found, the estimates page shows the
labels, and everything reads in Chinese."""

from __future__ import annotations

import re

import pytest

from gridgov.quality.models import Campaign, SampledHouse, Visit
from tests.quality import test_visits_data
from tests.quality.test_visits_data import G1, design, residents_of

# the shared fixtures of the visit tests
world, fast_hashing = test_visits_data.world, test_visits_data.fast_hashing


@pytest.fixture
def campaign(world):
    return design(world["users"]["centre"])


def test_centre_pages_render_in_chinese(world, campaign, client):
    client.force_login(world["users"]["centre"])
    for url in ("/quality/", f"/quality/{campaign.pk}/", f"/quality/{campaign.pk}/estimates/", "/quality/design/"):
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert "登记" in html or "核查" in html, url
    detail = client.get(f"/quality/{campaign.pk}/").content.decode()
    assert f'data-testid="sample-size">{campaign.sample_size}<' in detail
    nav = client.get("/quality/").content.decode()
    assert 'href="/quality/"' in nav


def test_capabilities_and_scope(world, campaign, client, make_user):
    u = world["users"]
    client.force_login(u["w1"])
    assert client.get("/quality/").status_code == 302  # a grid worker goes to the worklist
    assert client.get(f"/quality/{campaign.pk}/").status_code == 403
    assert client.get("/quality/design/").status_code == 403
    assert client.get("/quality/worklist/").status_code == 200
    client.force_login(make_user("q_other", ("street_centre", "310101002")))
    assert client.get(f"/quality/{campaign.pk}/").status_code == 404
    assert client.get(f"/quality/{campaign.pk}/estimates/").status_code == 404
    client.force_login(u["centre"])
    assert client.get("/quality/worklist/").status_code == 403
    house = SampledHouse.objects.filter(campaign=campaign, grid_code=G1).first()
    client.force_login(u["w2"])
    assert client.get(f"/quality/visit/{house.pk}/").status_code == 404


def test_design_form_draws_and_assigns(world, client):
    client.force_login(world["users"]["centre"])
    bad = client.post("/quality/design/", {"name": "核查", "area_code": "3101", "period_start": "2026-11-01",
                                           "period_end": "2026-11-30", "target_margin": "5"})
    assert bad.status_code == 200 and 'data-testid="design-error"' in bad.content.decode()
    done = client.post("/quality/design/", {"name": "页面核查", "area_code": "310101001", "period_start": "2026-11-01",
                                            "period_end": "2026-11-30", "target_margin": "10", "seed": "5",
                                            "allocation": "proportional"})
    c = Campaign.objects.get(name="页面核查")
    assert done.status_code == 302 and done["Location"] == f"/quality/{c.pk}/"
    assert c.assignments.count() == c.sample_size


def test_phone_visit_form_records_what_was_found(world, campaign, client):
    w1 = world["users"]["w1"]
    house = SampledHouse.objects.filter(campaign=campaign, grid_code=G1).order_by("rank").first()
    a, b = residents_of(house.house_id)
    client.force_login(w1)
    page = client.get(f"/quality/visit/{house.pk}/").content.decode()
    assert f'name="present_{a}"' in page and f'name="present_{b}"' in page
    assert not re.search(r"1391234\d{4}", page)  # phones masked
    worklist = client.get("/quality/worklist/").content.decode()
    assert f"/quality/visit/{house.pk}/" in worklist
    posted = client.post(f"/quality/visit/{house.pk}/", {
        "outcome": "found", "candidate": [str(a), str(b)], f"present_{a}": "on", f"present_{b}": "on",
        f"diff_{b}": "phone", f"value_{b}_phone": "13900001111", "new_name_0": "赵新", "new_sex_0": "1",
        "new_type_0": "02"})
    assert posted.status_code == 302
    v = Visit.objects.get(sampled_house=house)
    assert (v.outcome, v.persons_found, v.persons_registered, v.records_accurate) == ("found", 3, 2, 1)
    again = client.get(f"/quality/visit/{house.pk}/").content.decode()
    assert 'data-testid="visited"' in again


def test_visit_form_shows_the_reason_of_a_refusal(world, campaign, client):
    house = SampledHouse.objects.filter(campaign=campaign, grid_code=G1).order_by("rank").first()
    client.force_login(world["users"]["w1"])
    page = client.post(f"/quality/visit/{house.pk}/", {"outcome": "found"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="visit-error"' in html and not Visit.objects.filter(sampled_house=house).exists()


def test_estimates_page_shows_labels(world, campaign, client):
    from gridgov.quality import visit_services

    u = world["users"]
    for s in SampledHouse.objects.filter(campaign=campaign, grid_code=G1):
        visit_services.visit_record(actor=u["w1"], sampled_house_id=s.pk, outcome="found",
                                    persons=[{"person_id": pid} for pid in residents_of(s.house_id)])
    client.force_login(u["district"])
    html = client.get(f"/quality/{campaign.pk}/estimates/").content.decode()
    # grid 1: every person found is registered and accurate: 100%, interval [1, 1] -> 达标
    cell = re.search(r'<tr class="lv-grid" data-area="310101001001001">.*?data-indicator="registration_rate">(.*?)</td>',
                     html, re.S).group(1)
    assert "100.0%" in cell and "达标" in cell
    assert client.get(f"/quality/{campaign.pk}/estimates.geojson").status_code == 200
    frame = client.get(f"/quality/{campaign.pk}/frame.csv").content.decode()
    assert frame.splitlines()[0] == "campaign_id,stratum,houses"


def test_only_a_register_editor_sees_the_approve_buttons(world, campaign, client):
    from gridgov.quality import visit_services

    u = world["users"]
    house = SampledHouse.objects.filter(campaign=campaign, grid_code=G1).order_by("rank").first()
    a = residents_of(house.house_id)[0]
    visit_services.visit_record(actor=u["w1"], sampled_house_id=house.pk, outcome="found",
                                persons=[{"person_id": a, "differing": {"phone": "13900002222"}}])
    client.force_login(u["centre"])  # street centre: registry.edit
    assert 'value="approve"' in client.get(f"/quality/{campaign.pk}/").content.decode()
    client.force_login(u["district"])  # district centre: reads, does not write the register
    html = client.get(f"/quality/{campaign.pk}/").content.decode()
    assert 'value="approve"' not in html and "待审核" in html


def test_corrections_show_labels_and_masked_values(world, campaign, client):
    from gridgov.quality import visit_services

    u = world["users"]
    house = SampledHouse.objects.filter(campaign=campaign, grid_code=G1).order_by("rank").first()
    a, b = residents_of(house.house_id)
    visit_services.visit_record(actor=u["w1"], sampled_house_id=house.pk, outcome="found", persons=[
        {"person_id": a, "differing": {"population_type": "02"}},
        {"person_id": b, "differing": {"phone": "13900003333"}}])
    client.force_login(u["centre"])
    html = client.get(f"/quality/{campaign.pk}/").content.decode()
    assert "来沪人员" in html and "→ 02<" not in html
    assert "13900003333" not in html and "139****3333" in html
