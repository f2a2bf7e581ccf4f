"""Every write of the quality app. Verification campaigns: design and the seeded sample of houses."""

from __future__ import annotations

import secrets
from datetime import date

import numpy as np
from django.db import transaction

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, require_capability
from gridgov.core import codes
from gridgov.core.audit import audit_write
from gridgov.core.errors import FieldError, Forbidden, Phrase
from gridgov.core.models import AuditAction
from gridgov.quality import sampling
from gridgov.quality.models import Campaign, CampaignStratum, SampledHouse
from gridgov.registry import selectors as registry_selectors

DESIGN = "quality.design"
#: the levels a campaign area may have (significant digits): district, street, community
AREA_LEVELS = {6: "district", 9: "street", 12: "community"}
STRATA_DIGITS: dict[str, int] = {Campaign.StrataLevel.GRID: 15, Campaign.StrataLevel.COMMUNITY: 12}


def _float_in(field: str, value: float, low: float, high: float, expected: str) -> float:
    """``expected`` is an English phrase (translated inside the message: core.i18n)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FieldError(field, "%(value)s is not a number", code="invalid", params={"value": repr(value)}) from None
    if not low < number < high:
        raise FieldError(field, "%(value)s is out of range; %(expected)s", code="range",
                         params={"value": f"{number:g}", "expected": Phrase(expected)})
    return number


@transaction.atomic
def campaign_design(
    *,
    actor: User,
    name: str,
    area_code: str,
    period_start: date,
    period_end: date,
    target_margin: float = 0.03,
    confidence: float = 0.95,
    expected_rate: float = 0.9,
    design_effect: float = 2.0,
    allocation: str = Campaign.Allocation.PROPORTIONAL,
    strata_level: str = Campaign.StrataLevel.GRID,
    stratum_sd: dict[str, float] | None = None,
    seed: int | None = None,
) -> Campaign:
    """Create a campaign over ``area_code`` and draw its stratified sample of the register's houses.

    The sample size follows from the margin (sampling.sample_size over the frame's N houses); it is
    allocated to the strata (``proportional``, or ``neyman`` with ``stratum_sd`` from an earlier
    campaign), at least 2 houses per stratum, and drawn with ``seed`` (a fresh one when None; stored).
    """
    require_capability(actor, DESIGN)
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "is empty", code="required")
    if len(name) > 100:
        raise FieldError("name", "has %(n)s characters; at most %(max)s", code="max_length",
                         params={"n": len(name), "max": 100})
    area = codes.validate_prefix(area_code, "area_code")
    if len(area) not in AREA_LEVELS:
        raise FieldError("area_code", "%(code)s is a %(level)s code; a campaign covers a district (6 digits), a "
                                      "street (9) or a community (12)", code="level",
                         params={"code": area, "level": Phrase(codes.Level(len(area)).label_en)})
    if not code_in_scope(actor, area, capability=DESIGN, purpose="write"):
        raise Forbidden("area_code: %(code)s is outside your jurisdiction", code="out_of_jurisdiction",
                        params={"code": area})
    if period_end < period_start:
        raise FieldError("period_end", "%(end)s is before the start %(start)s", code="range",
                         params={"end": period_end.isoformat(), "start": period_start.isoformat()})
    margin = _float_in("target_margin", target_margin, 0, 0.5, "expected a half-width such as 0.03 (+-3 points)")
    conf = _float_in("confidence", confidence, 0.5, 1, "expected a level such as 0.95")
    rate = _float_in("expected_rate", expected_rate, 0, 1, "expected a rate such as 0.9")
    deff = _float_in("design_effect", design_effect, 0, 100, "expected a factor such as 2 (persons in houses)")
    if deff < 1:
        raise FieldError("design_effect", "%(value)s is out of range; a design effect is at least 1", code="range",
                         params={"value": f"{deff:g}"})
    if allocation not in Campaign.Allocation.values:
        raise FieldError("allocation", "%(value)s is not one of %(values)s", code="choice",
                         params={"value": repr(allocation), "values": ", ".join(Campaign.Allocation.values)})
    if strata_level not in STRATA_DIGITS:
        raise FieldError("strata_level", "%(value)s is not one of %(values)s", code="choice",
                         params={"value": repr(strata_level), "values": ", ".join(STRATA_DIGITS)})
    if seed is None:
        seed = secrets.randbelow(2**62)
    elif not 0 <= seed < 2**63:
        raise FieldError("seed", "%(value)s is out of range; expected 0 <= seed < 2^63", code="range",
                         params={"value": seed})

    # the frame: the register's houses of the area, read through the register's own selector
    digits = STRATA_DIGITS[strata_level]
    houses = list(registry_selectors.houses_visible(actor).filter(grid_code__startswith=area)
                  .values_list("pk", "house_code", "grid_code"))
    if not houses:
        raise FieldError("area_code", "the register has no house in %(code)s: nothing to sample", code="empty_frame",
                         params={"code": area})
    strata_codes = sorted({grid[:digits] for _, _, grid in houses})
    sizes = {code: 0 for code in strata_codes}
    for _, _, grid in houses:
        sizes[grid[:digits]] += 1
    sd = None
    prior: dict = {}
    if allocation == Campaign.Allocation.NEYMAN and stratum_sd is None:
        stratum_sd, prior = _prior_sd(actor, area, strata_level, strata_codes)
    if allocation == Campaign.Allocation.NEYMAN:
        missing = [code for code in strata_codes if code not in (stratum_sd or {})]
        if missing:
            raise FieldError("stratum_sd", "Neyman allocation needs a standard deviation for every stratum; "
                                           "missing: %(codes)s", code="required",
                             params={"codes": ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")})
        assert stratum_sd is not None  # every stratum is in it (checked above)
        sd = [float(stratum_sd[code]) for code in strata_codes]
    total = sampling.sample_size(margin=margin, population=len(houses), expected_rate=rate, design_effect=deff,
                                 confidence=conf)
    try:
        per_stratum = sampling.allocate([sizes[c] for c in strata_codes], total, method=allocation, stratum_sd=sd)
    except ValueError as exc:
        raise FieldError("stratum_sd", str(exc), code="invalid") from None
    allocation_of = dict(zip(strata_codes, (int(n) for n in per_stratum), strict=True))
    drawn = sampling.draw_sample(((grid[:digits], code) for _, code, grid in houses), allocation_of, seed=seed)

    campaign = Campaign.objects.create(
        name=name, area_code=area, period_start=period_start, period_end=period_end, strata_level=strata_level,
        target_margin=margin, confidence=conf, expected_rate=rate, design_effect=deff, allocation=allocation,
        seed=seed, frame_houses=len(houses), sample_size=sum(allocation_of.values()), created_by=actor)
    strata = CampaignStratum.objects.bulk_create([
        CampaignStratum(campaign=campaign, code=code, frame_houses=sizes[code], sample_houses=allocation_of[code],
                        prior_sd=None if sd is None else sd[i]) for i, code in enumerate(strata_codes)])
    stratum_of = {s.code: s for s in strata}
    house_of = {code: (pk, grid) for pk, code, grid in houses}
    SampledHouse.objects.bulk_create([
        SampledHouse(campaign=campaign, stratum=stratum_of[d.stratum], house_id=house_of[d.house_key][0],
                     house_code=d.house_key, grid_code=house_of[d.house_key][1], rank=d.rank,
                     number=f"{d.number:016x}") for d in drawn], batch_size=1000)
    audit_write(AuditAction.CREATE, actor=actor, object_type="quality.campaign", object_id=campaign.pk,
                jurisdiction=area, changes={
                    "name": name, "period": [period_start.isoformat(), period_end.isoformat()],
                    "strata_level": strata_level, "strata": len(strata_codes), "allocation": allocation,
                    "target_margin": margin, "confidence": conf, "frame_houses": len(houses),
                    "sample_size": campaign.sample_size, "seed": seed, **prior})
    return campaign


def _prior_sd(actor: User, area: str, strata_level: str, strata_codes: list[str]) -> tuple[dict[str, float], dict]:
    """Neyman's standard deviations from the newest finished campaign of the same area and strata
    (``selectors.stratum_sd``); a stratum it did not measure (a new grid, fewer than two responding
    houses) takes the median of the others. Returns them and what the audit row says of them."""
    from gridgov.quality import selectors

    earlier = selectors.prior_campaign(actor, area, strata_level)
    measured = selectors.stratum_sd(earlier) if earlier is not None else {}
    if not measured:
        raise FieldError("allocation", "Neyman allocation needs an earlier finished campaign of %(code)s with the "
                                       "same strata and visited houses; choose proportional allocation",
                         code="no_prior", params={"code": area})
    median = float(np.median(list(measured.values())))
    filled = [c for c in strata_codes if c not in measured]
    assert earlier is not None  # measured is not empty
    return ({c: measured.get(c, median) for c in strata_codes},
            {"prior_campaign": earlier.pk, "strata_without_prior": len(filled)})
