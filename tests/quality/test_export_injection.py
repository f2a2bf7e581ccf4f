"""The campaign's FRAME.csv and VISITS.csv (/quality/<id>/<part>.csv) never start a cell with a
formula: a house code typed as "=1+2" in the register is written as text."""

from __future__ import annotations

import csv
import io

from gridgov.quality import visit_services
from gridgov.quality.models import SampledHouse
from tests.quality import test_visits_data
from tests.quality.test_visits_data import G1, design, residents_of

world, fast_hashing = test_visits_data.world, test_visits_data.fast_hashing


def test_house_codes_that_look_like_formulas_are_written_as_text(world, client):
    from gridgov.registry.models import House

    for house in House.objects.filter(grid_code=G1):  # every house of the grid: whichever is drawn
        House.objects.filter(pk=house.pk).update(house_code=f"=HYPERLINK(\"http://x/{house.pk}\")")
    campaign = design(world["users"]["centre"])
    sampled = SampledHouse.objects.filter(campaign=campaign, grid_code=G1).order_by("id").first()
    visit_services.visit_record(actor=world["users"]["w1"], sampled_house_id=sampled.pk, outcome="found",
                                persons=[{"person_id": pid} for pid in residents_of(sampled.house_id)])
    client.force_login(world["users"]["district"])
    visits = client.get(f"/quality/{campaign.pk}/visits.csv").content.decode()
    rows = list(csv.reader(io.StringIO(visits)))
    codes = [r[2] for r in rows[1:]]
    assert f"'=HYPERLINK(\"http://x/{sampled.house_id}\")" in codes
    cells = [c for r in rows for c in r]
    assert not any(c[:1] in ("=", "+", "-", "@") for c in cells)
    frame = client.get(f"/quality/{campaign.pk}/frame.csv").content.decode()
    assert not any(c[:1] in ("=", "+", "-", "@") for r in csv.reader(io.StringIO(frame)) for c in r)
