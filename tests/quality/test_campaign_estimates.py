"""Estimates from stored visits: the selector (and the page's API) give the same figures as the
Django-free command line on the campaign's own FRAME.csv/VISITS.csv, and as R's survey::svyratio on
those files; non-response is outside the estimate and reported; approving corrections changes the
register, not the estimate."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

import pytest

from gridgov.quality import selectors, visit_services
from gridgov.quality.models import CorrectionProposal, SampledHouse
from tests.quality import test_visits_data
from tests.quality.test_against_r import r_estimates
from tests.quality.test_visits_data import design, residents_of

# the shared fixtures of the visit tests
world, fast_hashing = test_visits_data.world, test_visits_data.fast_hashing

GRIDGOV = str(Path(sys.executable).with_name("gridgov"))


def _visit_all(campaign, users) -> dict[str, int]:
    """Visit every sampled house by a fixed pattern; returns the outcome counts (the test's own)."""
    worker_of = {"310101001001001": users["w1"], "310101001001002": users["w2"], "310101001002001": users["w3"]}
    counts = {"found": 0, "empty": 0, "refused": 0, "not_found": 0}
    for i, s in enumerate(SampledHouse.objects.filter(campaign=campaign).order_by("grid_code", "rank")):
        actor = worker_of[s.grid_code]
        if i % 13 == 6:
            outcome, persons = "refused", []
        elif i % 17 == 9:
            outcome, persons = "not_found", []
        elif i % 11 == 4:
            outcome, persons = "empty", []
        else:
            a, b = residents_of(s.house_id)
            outcome = "found"
            persons = [{"person_id": a, "differing": {"phone": "13900000000"} if i % 4 == 0 else {}}]
            if i % 3:
                persons.append({"person_id": b})
            if i % 5 == 0:
                persons.append({"stub": {"name": f"未登记{i}", "sex": "1"}})
        visit_services.visit_record(actor=actor, sampled_house_id=s.pk, outcome=outcome, persons=persons)
        counts[outcome] += 1
    return counts


def _cli(tmp_path: Path, frame: str, visits: str, level: str) -> dict[tuple[str, str], dict]:
    (tmp_path / "frame.csv").write_text(frame, encoding="utf-8")
    (tmp_path / "visits.csv").write_text(visits, encoding="utf-8")
    out = tmp_path / f"out-{level}.csv"
    done = subprocess.run([GRIDGOV, "quality", "estimate", "--frame", str(tmp_path / "frame.csv"), "--visits",
                           str(tmp_path / "visits.csv"), "--output", str(out), "--level", level],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8") as fh:
        return {(r["area"], r["indicator"]): r for r in csv.DictReader(fh)}


def _close(ours, theirs: str) -> bool:
    if theirs == "":
        return ours is None
    return ours is not None and math.isclose(ours, float(theirs), rel_tol=1e-12, abs_tol=1e-15)


@pytest.fixture
def finished(world):
    u = world["users"]
    campaign = design(u["centre"])
    counts = _visit_all(campaign, u)
    return campaign, counts


def test_page_figures_equal_the_command_line_and_r(finished, world, tmp_path):
    campaign, counts = finished
    centre = world["users"]["centre"]
    frame, visits = selectors.campaign_csv(centre, campaign.pk)
    # responding houses only (found + empty) are in VISITS.csv; refused and not-found are not
    assert len(visits.strip().splitlines()) - 1 == counts["found"] + counts["empty"]
    e = selectors.campaign_estimates(centre, campaign.pk)
    assert e["levels"] == ["all", "community", "grid"]
    r = r_estimates(tmp_path, frame, visits, levels=tuple(e["levels"]))
    for level in e["levels"]:
        cli = _cli(tmp_path, frame, visits, level)
        rows = [row for row in e["rows"] if row["level"] == level]
        assert len(rows) == len(cli)
        for row in rows:
            key = ("all" if level == "all" else row["area"], row["indicator"])
            theirs = cli[key]
            for field in ("estimate", "ci_low", "ci_high", "std_error"):
                assert _close(row[field], theirs[field]), (level, key, field, row[field], theirs[field])
            assert row["houses_visited"] == int(theirs["houses_visited"])
            r_est, r_se = r[level][(str(campaign.pk), key[0], row["indicator"])]
            assert abs(row["estimate"] - r_est) < 1e-9
            if r_se is not None:
                assert abs(row["std_error"] - r_se) <= 1e-6 * r_se
    assert e["nonresponse"] == counts["refused"] + counts["not_found"] > 0
    assert e["outcomes"] == {k: v for k, v in counts.items() if v}


def test_label_follows_the_interval(finished, world):
    campaign, _ = finished
    for row in selectors.campaign_estimates(world["users"]["centre"], campaign.pk)["rows"]:
        if row["estimate"] is None:
            assert row["status"] == "undefined"
        elif row["ci_low"] >= 0.9:
            assert row["status"] == "met"
        elif row["ci_high"] < 0.9:
            assert row["status"] == "not_met"
        else:
            assert row["status"] == "uncertain"


def test_approving_corrections_does_not_change_the_estimate(finished, world):
    campaign, _ = finished
    centre = world["users"]["centre"]
    before = selectors.campaign_estimates(centre, campaign.pk)["rows"]
    pending = CorrectionProposal.objects.filter(campaign=campaign, kind="update")
    assert pending.count() > 0
    for p in pending:
        visit_services.correction_decide(actor=centre, proposal_id=p.pk, approve=True)
    assert selectors.campaign_estimates(centre, campaign.pk)["rows"] == before


def test_api_gives_the_selector_figures_and_scopes(finished, world, client, make_user):
    campaign, _ = finished
    u = world["users"]
    client.force_login(u["district"])
    got = client.get(f"/api/v1/quality/campaigns/{campaign.pk}/estimates?level=grid")
    assert got.status_code == 200
    want = selectors.campaign_estimates(u["centre"], campaign.pk, level="grid")["rows"]
    assert got.json()["rows"] == want
    assert client.get(f"/api/v1/quality/campaigns/{campaign.pk}/estimates?level=city").status_code == 422
    client.force_login(u["w1"])  # a grid worker reads no estimate
    assert client.get(f"/api/v1/quality/campaigns/{campaign.pk}/estimates").status_code == 403
    other = make_user("q_other_street", ("street_centre", "310101002"))
    client.force_login(other)  # another street: absent
    assert client.get(f"/api/v1/quality/campaigns/{campaign.pk}/estimates").status_code == 404


def test_estimates_map_colours_each_grid(finished, world):
    import json

    from gridgov.geo.models import Division, Grid

    campaign, _ = finished
    street = Division.objects.create(code="310101001000", prefix="310101001", name="演示街道", level=9)
    community = Division.objects.create(code="310101001001", prefix="310101001001", name="演示社区", level=12,
                                        parent=street)
    import shapely

    box = shapely.to_wkb(shapely.box(121.47, 31.23, 121.48, 31.24))
    Grid.objects.create(code="310101001001001", name="一网格", community=community, boundary=box,
                        min_lon=121.47, min_lat=31.23, max_lon=121.48, max_lat=31.24)
    layer = json.loads(selectors.estimates_map(world["users"]["centre"], campaign.pk))
    [feature] = layer["features"]
    grid_row = next(r for r in selectors.campaign_estimates(world["users"]["centre"], campaign.pk, level="grid")["rows"]
                    if r["area"] == "310101001001001" and r["indicator"] == "registration_rate")
    assert feature["properties"]["status"] == grid_row["status"]
    assert feature["properties"]["registration"]["estimate"] == grid_row["estimate"]


def _residual_sds(campaign) -> dict[str, float]:
    """The test's own S_h: per stratum, the sample standard deviation of y - R x over the responding
    houses, R = sum(w y) / sum(w x), w = N_h / n_h (plain Python over the stored visits)."""
    import statistics

    from gridgov.quality.models import CampaignStratum, Visit

    frame = dict(CampaignStratum.objects.filter(campaign=campaign).values_list("code", "frame_houses"))
    rows = [(v.sampled_house.stratum.code, v.persons_found, v.persons_registered)
            for v in Visit.objects.filter(campaign=campaign, outcome__in=["found", "empty"])
            .select_related("sampled_house__stratum")]
    visited = {h: sum(1 for r in rows if r[0] == h) for h in frame}
    sx = sum(frame[h] / visited[h] * x for h, x, _ in rows)
    sy = sum(frame[h] / visited[h] * y for h, _, y in rows)
    ratio = sy / sx
    return {h: statistics.stdev([y - ratio * x for g, x, y in rows if g == h])
            for h in frame if visited[h] >= 2}


def test_neyman_takes_its_deviations_from_the_finished_campaign_of_the_area(finished, world):
    from datetime import date

    from gridgov.core.errors import FieldError
    from gridgov.core.models import AuditEvent
    from gridgov.quality import services

    campaign, _ = finished
    expected = _residual_sds(campaign)
    assert len(expected) == 3 and all(v > 0 for v in expected.values())
    got = selectors.stratum_sd(campaign)
    assert got.keys() == expected.keys()
    assert all(math.isclose(got[h], expected[h], rel_tol=1e-12) for h in expected)

    centre = world["users"]["centre"]
    # the finished campaign's period (November 2026) has ended by the next one's design
    follow = services.campaign_design(actor=centre, name="2027年第一季度核查", area_code="310101001",
                                      period_start=date(2027, 1, 1), period_end=date(2027, 1, 31),
                                      target_margin=0.1, allocation="neyman", seed=5)
    used = {s.code: s.prior_sd for s in follow.strata.all()}
    assert all(math.isclose(used[h], expected[h], rel_tol=1e-12) for h in expected)
    event = AuditEvent.objects.get(object_type="quality.campaign", object_id=str(follow.pk))
    assert event.changes["prior_campaign"] == campaign.pk and event.changes["strata_without_prior"] == 0

    # a community with no earlier campaign of its own: refused, naming the way out
    with pytest.raises(FieldError) as caught:
        services.campaign_design(actor=centre, name="社区核查", area_code="310101001001",
                                 period_start=date(2027, 1, 1), period_end=date(2027, 1, 31),
                                 target_margin=0.1, allocation="neyman", seed=5)
    assert caught.value.details[0].field == "allocation" and caught.value.details[0].code == "no_prior"
