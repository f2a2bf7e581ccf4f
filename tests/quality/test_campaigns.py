"""campaign_design: the frame is the register's houses of the area, the sample is stored, reproducible
from its seed, allocated with the floor, audited; bad designs and foreign areas are refused."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.core.errors import FieldError, Forbidden
from gridgov.core.models import AuditEvent
from gridgov.quality import sampling, services
from gridgov.quality.models import Campaign, CampaignStratum, SampledHouse

# community 310101001001: grids 001 (120 houses), 002 (60), 003 (3); community 310101001002: grid 001 (40);
# another street 310101002...: 25 houses that no campaign of 310101001 may draw
GRIDS = {"310101001001001": 120, "310101001001002": 60, "310101001001003": 3, "310101001002001": 40,
         "310101002001001": 25}


@pytest.fixture
def houses(db):
    from gridgov.registry.models import House

    House.objects.bulk_create([House(house_code=f"{grid}-{i:03d}", address=f"演示路{i}号", grid_code=grid)
                               for grid, count in GRIDS.items() for i in range(count)])


@pytest.fixture
def centre(make_user):
    return make_user("street_quality", ("street_centre", "310101001"))


def _design(actor, **overrides):
    values = dict(actor=actor, name="2026年第四季度登记质量核查", area_code="310101001",
                  period_start=date(2026, 12, 1), period_end=date(2026, 12, 20), target_margin=0.05, seed=20261203)
    values.update(overrides)
    return services.campaign_design(**values)


def test_design_draws_a_stored_stratified_sample(houses, centre):
    campaign = _design(centre)
    # frame: the 223 houses of street 310101001; n0 = (1.959964/0.05)^2 * 0.9 * 0.1 * 2 = 276.6,
    # n = 276.6 / (1 + 276.6/223) = 123.5 -> 124
    assert campaign.frame_houses == 223 and campaign.sample_size == 124
    strata = {s.code: (s.frame_houses, s.sample_houses) for s in CampaignStratum.objects.filter(campaign=campaign)}
    # proportional 124 * N_h / 223 = 66.7, 33.4, 1.7, 22.2; grid 003 raised to its floor 2: 122 left for
    # 220 houses: 66.5, 33.3, 22.2 -> 66, 33, 22 plus the largest remainder (0.55 of grid 001) -> 67
    assert strata == {"310101001001001": (120, 67), "310101001001002": (60, 33), "310101001001003": (3, 2),
                      "310101001002001": (40, 22)}
    sampled = list(SampledHouse.objects.filter(campaign=campaign).select_related("stratum"))
    assert len(sampled) == 124
    assert all(s.house_code.startswith(s.stratum.code) and s.grid_code == s.stratum.code for s in sampled)
    assert not any(s.grid_code.startswith("310101002") for s in sampled)
    # the stored sample is the one anyone can draw again from the seed and the house codes
    frame = [(grid, f"{grid}-{i:03d}") for grid, count in GRIDS.items() if grid.startswith("310101001")
             for i in range(count)]
    again = sampling.draw_sample(frame, {code: n for code, (_, n) in strata.items()}, seed=20261203)
    assert sorted((s.stratum.code, s.rank, s.house_code, s.number) for s in sampled) == sorted(
        (d.stratum, d.rank, d.house_key, f"{d.number:016x}") for d in again)
    event = AuditEvent.objects.get(object_type="quality.campaign", object_id=str(campaign.pk))
    assert event.action == "CREATE" and event.changes["seed"] == 20261203 and event.changes["sample_size"] == 124


def test_community_strata_and_neyman(houses, centre):
    campaign = _design(centre, strata_level="community", allocation="neyman", target_margin=0.1,
                       stratum_sd={"310101001001": 0.1, "310101001002": 0.4})
    # n0 = 69.1; n = 69.1 / (1 + 69.1/223) = 52.8 -> 53; weights 183*0.1 = 18.3 and 40*0.4 = 16: 28.3, 24.7
    strata = {s.code: (s.frame_houses, s.sample_houses, s.prior_sd) for s in campaign.strata.all()}
    assert strata == {"310101001001": (183, 28, 0.1), "310101001002": (40, 25, 0.4)}
    with pytest.raises(FieldError, match="missing: 310101001002"):
        _design(centre, strata_level="community", allocation="neyman", stratum_sd={"310101001001": 0.1})


def test_a_new_seed_is_stored_when_none_is_given(houses, centre):
    first = _design(centre, seed=None)
    second = _design(centre, seed=None)
    assert first.seed != second.seed
    assert Campaign.objects.count() == 2


@pytest.mark.parametrize("overrides, field", [
    ({"name": "  "}, "name"),
    ({"area_code": "31010100"}, "area_code"),         # not a division level
    ({"area_code": "310101001001001"}, "area_code"),  # a grid: campaigns cover a district, street or community
    ({"period_end": date(2026, 11, 30)}, "period_end"),
    ({"target_margin": 0.7}, "target_margin"),
    ({"confidence": 1.0}, "confidence"),
    ({"design_effect": 0.5}, "design_effect"),
    ({"allocation": "random"}, "allocation"),
    ({"strata_level": "street"}, "strata_level"),
    ({"area_code": "310101001003"}, "area_code"),     # a community without houses: empty frame
])
def test_bad_designs_are_refused_and_nothing_is_written(houses, centre, overrides, field):
    with pytest.raises(FieldError) as exc:
        _design(centre, **overrides)
    assert exc.value.details[0].field == field
    assert not Campaign.objects.exists() and not SampledHouse.objects.exists()


def test_only_centres_in_their_own_area(houses, make_user):
    other_street = make_user("street_other", ("street_centre", "310101002"))
    with pytest.raises(Forbidden, match="310101001 is outside your jurisdiction"):
        _design(other_street)
    worker = make_user("grid_worker_q", ("grid_worker", "310101001"))
    with pytest.raises(Forbidden, match="missing capability quality.design"):
        _design(worker)
    district = make_user("district_q", ("district_centre", "310101"))
    assert _design(district).frame_houses == 223
    assert not SampledHouse.objects.filter(grid_code__startswith="310101002").exists()


@pytest.mark.parametrize("overrides, zh", [
    ({"target_margin": 0.7}, "误差范围：0.7 超出范围；应为区间半宽，如 0.03（±3 个百分点）"),
    ({"design_effect": 0.5}, "设计效应：0.5 超出范围；设计效应至少为 1"),
    ({"area_code": "310101001001001"},
     "区域：310101001001001 是网格代码；核查活动的范围须是区县（6 位）、街道（9 位）或社区（12 位）"),
    ({"period_end": date(2026, 11, 30)}, "2026-11-30 早于开始日期 2026-12-01"),
    ({"allocation": "random"}, "样本分配方法：'random' 不在可选范围内（proportional, neyman）"),
    ({"area_code": "310101001003"}, "区域：实有房屋登记中 310101001003 内没有房屋：无可抽样"),
    ({"strata_level": "community", "allocation": "neyman", "stratum_sd": {"310101001001": 0.1}},
     "各层标准差：奈曼分配需要每一层的标准差；缺少：310101001002"),
])
def test_refusals_read_in_chinese(houses, centre, overrides, zh):
    from django.utils import translation

    from gridgov.core.i18n import text_of

    with pytest.raises(FieldError) as exc:
        _design(centre, **overrides)
    with translation.override("zh-hans"):
        assert text_of(exc.value) == zh


def test_a_foreign_area_is_refused_in_chinese(houses, make_user):
    from django.utils import translation

    from gridgov.core.i18n import text_of

    with pytest.raises(Forbidden) as exc:
        _design(make_user("street_other_zh", ("street_centre", "310101002")))
    assert str(exc.value) == "area_code: 310101001 is outside your jurisdiction"
    with translation.override("zh-hans"):
        assert text_of(exc.value) == "核查区域 310101001 不在您的辖区内"
