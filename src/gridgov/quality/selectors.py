"""Every read of the quality app: campaigns, their progress, the worklists of grid workers, the visit
form's residents, the corrections to approve, and the estimates built from the stored visits.

Reading campaigns and estimates needs ``quality.view`` (the centres of the area) or ``quality.design``;
a campaign is visible when its area lies in one of those prefixes or covers one (a district campaign
is visible to a street centre of that district). Worklists need ``quality.visit``. Outside the
jurisdiction: ``NotFound`` (404), as absent.
"""

from __future__ import annotations

import io
import json
import math
from collections import Counter, defaultdict
from datetime import date

import numpy as np
from django.db.models import Q, QuerySet

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, has_capability, user_prefixes
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.spreadsheet import csv_writer
from gridgov.geo import selectors as geo_selectors
from gridgov.quality import estimate
from gridgov.quality.models import (
    Campaign,
    CampaignStratum,
    CorrectionProposal,
    SampledHouse,
    Visit,
    VisitAssignment,
    VisitPerson,
)
from gridgov.registry import codes as registry_codes
from gridgov.registry import selectors as registry_selectors
from gridgov.registry.models import Residence

VIEW, DESIGN, VISIT = "quality.view", "quality.design", "quality.visit"
INDICATORS = ("registration_rate", "accuracy_rate")
LEVEL_ORDER = ("all", "district", "street", "community", "grid")


def _reader_prefixes(user: User) -> list[str]:
    if not (has_capability(user, VIEW) or has_capability(user, DESIGN)):
        raise Forbidden("missing capability %(capability)s", code="missing_capability", params={"capability": VIEW})
    return sorted(set(user_prefixes(user, VIEW)) | set(user_prefixes(user, DESIGN)))


def campaigns_visible(user: User) -> QuerySet[Campaign]:
    q = Q(pk__in=[])
    for prefix in _reader_prefixes(user):
        q |= Q(area_code__startswith=prefix)
        # a campaign over a wider area that covers this prefix (district campaign, street centre)
        for digits in (6, 9, 12):
            if len(prefix) > digits:
                q |= Q(area_code=prefix[:digits])
    return Campaign.objects.filter(q)


def campaign_get(user: User, campaign_id: int) -> Campaign:
    campaign = campaigns_visible(user).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("campaign not found")
    return campaign


def can_design(user: User, campaign: Campaign | None = None) -> bool:
    if campaign is None:
        return has_capability(user, DESIGN)
    return code_in_scope(user, campaign.area_code, capability=DESIGN, purpose="write")


def campaign_rows(user: User) -> list[dict]:
    """The list page: each campaign with its sample, visits made and non-response."""
    campaigns = list(campaigns_visible(user).order_by("-period_start", "-id")[:200])
    ids = [c.pk for c in campaigns]
    outcomes: dict[int, Counter] = defaultdict(Counter)
    for cid, outcome in Visit.objects.filter(campaign_id__in=ids).values_list("campaign_id", "outcome"):
        outcomes[cid][outcome] += 1
    names = geo_selectors.place_names({c.area_code for c in campaigns})
    out = []
    for c in campaigns:
        done = sum(outcomes[c.pk].values())
        out.append({"id": c.pk, "name": c.name, "area_code": c.area_code, "area_name": names.get(c.area_code, ""),
                    "period_start": c.period_start, "period_end": c.period_end, "sample_size": c.sample_size,
                    "visited": done, "progress": round(100 * done / c.sample_size) if c.sample_size else 0,
                    "nonresponse": outcomes[c.pk][Visit.Outcome.REFUSED] + outcomes[c.pk][Visit.Outcome.NOT_FOUND]})
    return out


def campaign_detail(user: User, campaign_id: int) -> dict:
    """The sample drawn (per stratum), progress of the visits per worker, non-response per stratum."""
    c = campaign_get(user, campaign_id)
    strata = list(CampaignStratum.objects.filter(campaign=c).order_by("code"))
    by_stratum: dict[int, Counter] = defaultdict(Counter)
    for sid, outcome in Visit.objects.filter(campaign=c).values_list("sampled_house__stratum_id", "outcome"):
        by_stratum[sid][outcome] += 1
    names = geo_selectors.place_names({s.code[:12] for s in strata} | {c.area_code})
    grid_names = dict(geo_selectors.grids_visible(user).filter(code__in=[s.code for s in strata])
                      .values_list("code", "name")) if c.strata_level == Campaign.StrataLevel.GRID else {}
    stratum_rows: list[dict] = []
    for s in strata:
        counts = by_stratum[s.pk]
        visited = sum(counts.values())
        stratum_rows.append({
            "code": s.code, "name": grid_names.get(s.code) or names.get(s.code[:12], ""),
            "frame_houses": s.frame_houses, "sample_houses": s.sample_houses, "visited": visited,
            "found": counts[Visit.Outcome.FOUND], "empty": counts[Visit.Outcome.EMPTY],
            "refused": counts[Visit.Outcome.REFUSED], "not_found": counts[Visit.Outcome.NOT_FOUND],
            "pending": s.sample_houses - visited,
            "nonresponse_rate": (counts[Visit.Outcome.REFUSED] + counts[Visit.Outcome.NOT_FOUND]) / visited
            if visited else None})
    assigned: Counter[int | None] = Counter(VisitAssignment.objects.filter(campaign=c)
                                            .values_list("worker_id", flat=True))
    done: dict[int | None, Counter] = defaultdict(Counter)
    for visitor, outcome in Visit.objects.filter(campaign=c).values_list("worker_id", "outcome"):
        done[visitor][outcome] += 1
    ids = {k for k in set(assigned) | set(done) if k is not None}
    users = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    workers = []
    for wid in sorted(set(assigned) | set(done), key=lambda k: users[k].username if k in users else "~"):
        u = users.get(wid) if wid is not None else None
        visits = sum(done[wid].values())
        workers.append({"id": wid, "name": (u.display_name or u.username) if u else None,
                        "assigned": assigned.get(wid, 0), "visited": visits,
                        "nonresponse": done[wid][Visit.Outcome.REFUSED] + done[wid][Visit.Outcome.NOT_FOUND],
                        "progress": round(100 * visits / assigned[wid]) if assigned.get(wid) else 100})
    total: Counter[str] = Counter()
    for row in stratum_rows:
        for k in ("visited", "found", "empty", "refused", "not_found", "pending"):
            total[k] += row[k]
    corrections = Counter(CorrectionProposal.objects.filter(campaign=c).values_list("status", flat=True))
    return {"campaign": c, "area_name": names.get(c.area_code, ""), "strata": stratum_rows, "workers": workers,
            "total": dict(total), "unassigned": c.sample_size - sum(assigned.values()),
            "corrections": dict(corrections), "can_design": can_design(user, c)}


# --- estimates from the stored visits --------------------------------------------------------------

def estimate_inputs(campaign: Campaign) -> dict:
    """The estimator's inputs, from what was found: the strata (code, N_h) and, per responding house
    (residents found or house empty), y/x of both indicators. Refused and not-found houses are
    non-response: outside the estimate, counted in the notes."""
    strata = list(CampaignStratum.objects.filter(campaign=campaign).order_by("code").values_list("pk", "code",
                                                                                                "frame_houses"))
    index = {pk: i for i, (pk, _, _) in enumerate(strata)}
    visits = list(Visit.objects.filter(campaign=campaign, outcome__in=Visit.RESPONSES).order_by("id").values_list(
        "sampled_house__stratum_id", "sampled_house__house_code", "persons_found", "persons_registered",
        "records_checked", "records_accurate"))
    counts = np.array([v[2:] for v in visits], dtype=np.float64).reshape(-1, 4)
    return {"stratum_code": [s[1] for s in strata], "stratum_houses": np.array([s[2] for s in strata]),
            "house_stratum": np.array([index[v[0]] for v in visits], dtype=np.intp),
            "house_code": [v[1] for v in visits], "counts": counts}


def stratum_sd(campaign: Campaign) -> dict[str, float]:
    """Per stratum of a campaign with visits: the standard deviation (n - 1) over its responding houses
    of the registration residuals d = y - R x (y registered persons found, x persons found, R the
    campaign's combined ratio) — the S_h of Neyman allocation for a ratio estimator (Cochran 1977,
    §6.9 and §5.5). Strata with fewer than two responding houses are left out."""
    data = estimate_inputs(campaign)
    counts, house_stratum = data["counts"], data["house_stratum"]
    n_strata = len(data["stratum_code"])
    visited = np.bincount(house_stratum, minlength=n_strata)
    weight = np.divide(data["stratum_houses"], visited, out=np.zeros(n_strata), where=visited > 0)[house_stratum]
    x, y = counts[:, 0], counts[:, 1]
    total_x = float((weight * x).sum())
    if total_x <= 0:
        return {}
    d = y - (float((weight * y).sum()) / total_x) * x
    out = {}
    for h, code in enumerate(data["stratum_code"]):
        values = d[house_stratum == h]
        if values.size >= 2:
            out[code] = float(values.std(ddof=1))
    return out


def prior_campaign(user: User, area_code: str, strata_level: str, *, today: date | None = None) -> Campaign | None:
    """The newest campaign of exactly this area and strata level that the user reads, whose period has
    ended and that has responding houses: the source of Neyman allocation's standard deviations."""
    from django.utils import timezone

    today = today or timezone.localdate()
    for c in (campaigns_visible(user).filter(area_code=area_code, strata_level=strata_level, period_end__lt=today)
              .order_by("-period_end", "-id")[:20]):
        if Visit.objects.filter(campaign=c, outcome__in=Visit.RESPONSES).exists():
            return c
    return None


def campaign_csv(user: User, campaign_id: int) -> tuple[str, str]:
    """FRAME.csv and VISITS.csv of the campaign, as ``gridgov quality estimate`` reads them."""
    c = campaign_get(user, campaign_id)
    data = estimate_inputs(c)
    frame, visits = io.StringIO(), io.StringIO()
    fw = csv_writer(frame, lineterminator="\n")
    fw.writerow(("campaign_id", "stratum", "houses"))
    for code, n in zip(data["stratum_code"], data["stratum_houses"], strict=True):
        fw.writerow((c.pk, code, int(n)))
    vw = csv_writer(visits, lineterminator="\n")
    vw.writerow(("campaign_id", "stratum", "house_id", "persons_found", "persons_registered", "records_checked",
                 "records_accurate"))
    for h, code, row in zip(data["house_stratum"], data["house_code"], data["counts"], strict=True):
        vw.writerow((c.pk, data["stratum_code"][h], code, *(int(x) for x in row)))
    return frame.getvalue(), visits.getvalue()


def _levels(campaign: Campaign) -> list[str]:
    digits = len(campaign.area_code)
    deeper = [lv for lv in LEVEL_ORDER[1:] if estimate.LEVEL_DIGITS[lv] > digits]
    if campaign.strata_level == Campaign.StrataLevel.COMMUNITY:
        deeper = [lv for lv in deeper if lv != "grid"]
    return ["all", *deeper]


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _estimate(campaign: Campaign, level: str) -> list[dict]:
    data = estimate_inputs(campaign)
    if not data["stratum_code"]:
        return []
    counts = data["counts"]
    areas = estimate.estimate_areas(
        stratum_campaign=np.zeros(len(data["stratum_code"]), dtype=np.intp), stratum_code=data["stratum_code"],
        stratum_houses=data["stratum_houses"], house_stratum=data["house_stratum"],
        y=counts[:, [1, 3]], x=counts[:, [0, 2]], level=level)
    low, high = estimate.wald_interval(areas.estimate, areas.std_error, campaign.confidence)
    status = estimate.status(low, high)
    rows = []
    for g, area in enumerate(areas.area):
        for j, indicator in enumerate(INDICATORS):
            rows.append({"level": level, "area": campaign.area_code if area == estimate.ALL_AREAS else area,
                         "indicator": indicator, "estimate": _num(areas.estimate[g, j]),
                         "ci_low": _num(low[g, j]), "ci_high": _num(high[g, j]),
                         "std_error": _num(areas.std_error[g, j]), "houses_visited": int(areas.houses[g]),
                         "status": str(status[g, j])})
    return rows


def campaign_estimates(user: User, campaign_id: int, *, level: str | None = None) -> dict:
    """Estimates of the campaign's area and of each area below it (each from its own strata), with
    their intervals and labels, plus the notes: non-response per stratum, strata with one or no
    responding house."""
    c = campaign_get(user, campaign_id)
    levels = _levels(c) if level is None else [level]
    rows = [r for lv in levels for r in _estimate(c, lv)]
    names = geo_selectors.place_names({r["area"][:12] for r in rows if len(r["area"]) <= 12})
    grid_codes = [r["area"] for r in rows if len(r["area"]) == 15]
    grid_names = dict(geo_selectors.grids_visible(user).filter(code__in=grid_codes).values_list("code", "name"))
    for r in rows:
        r["area_name"] = grid_names.get(r["area"]) or names.get(r["area"], "")
    detail = Counter(Visit.objects.filter(campaign=c).values_list("outcome", flat=True))
    per_stratum: dict[str, Counter] = defaultdict(Counter)
    for code, outcome in Visit.objects.filter(campaign=c).values_list("sampled_house__stratum__code", "outcome"):
        per_stratum[code][outcome] += 1
    notes = []
    for s in CampaignStratum.objects.filter(campaign=c).order_by("code"):
        k = per_stratum[s.code]
        responding = k[Visit.Outcome.FOUND] + k[Visit.Outcome.EMPTY]
        nonresp = k[Visit.Outcome.REFUSED] + k[Visit.Outcome.NOT_FOUND]
        notes.append({"stratum": s.code, "responding": responding, "refused": k[Visit.Outcome.REFUSED],
                      "not_found": k[Visit.Outcome.NOT_FOUND], "nonresponse": nonresp,
                      "pending": s.sample_houses - responding - nonresp, "lonely": responding == 1,
                      "outside": responding == 0})
    stratum_names = dict(geo_selectors.grids_visible(user).filter(code__in=[n["stratum"] for n in notes])
                         .values_list("code", "name"))
    for n in notes:
        code = str(n["stratum"])
        n["name"] = stratum_names.get(code) or names.get(code[:12], "")
    return {"campaign": c, "rows": rows, "levels": levels, "outcomes": dict(detail),
            "nonresponse": detail[Visit.Outcome.REFUSED] + detail[Visit.Outcome.NOT_FOUND],
            "notes": [n for n in notes if n["nonresponse"] or n["lonely"] or n["outside"]]}


def estimates_map(user: User, campaign_id: int) -> str:
    """GeoJSON of the campaign's grids (or communities) with the registration-rate label of each."""
    c = campaign_get(user, campaign_id)
    level = "grid" if c.strata_level == Campaign.StrataLevel.GRID else "community"
    by_area: dict[str, dict[str, dict]] = {}
    for r in _estimate(c, level):
        by_area.setdefault(r["area"], {})[r["indicator"]] = r
    if level == "grid":
        layer = json.loads(geo_selectors.grids_layer(user, limit=5000))
    else:
        layer = json.loads(geo_selectors.divisions_layer(user, level=12))
    features = []
    for f in layer.get("features", []):
        code = f["properties"].get("code", "")
        key = code if level == "grid" else code[:12]
        if key not in by_area:
            continue
        reg, acc = by_area[key].get("registration_rate"), by_area[key].get("accuracy_rate")
        f["properties"].update({"area": key, "registration": reg, "accuracy": acc,
                                "status": reg["status"] if reg else estimate.UNDEFINED})
        features.append(f)
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def estimates_trend(user: User, campaign_id: int) -> list[dict]:
    """The whole-area estimates of every visible campaign over the same area, oldest first."""
    c = campaign_get(user, campaign_id)
    out = []
    for other in campaigns_visible(user).filter(area_code=c.area_code).order_by("period_start", "id")[:24]:
        rows = {r["indicator"]: r for r in _estimate(other, "all")}
        out.append({"id": other.pk, "name": other.name, "period_end": other.period_end.isoformat(),
                    **{ind: rows.get(ind) for ind in INDICATORS}})
    return out


# --- corrections -----------------------------------------------------------------------------------

def corrections_open(user: User, campaign_id: int) -> list[dict]:
    c = campaign_get(user, campaign_id)
    if not can_design(user, c):
        return []
    prefixes = user_prefixes(user, DESIGN, purpose="write")
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(grid_code__startswith=p)
    rows = []
    props = (CorrectionProposal.objects.filter(q, campaign=c, status=CorrectionProposal.Status.PROPOSED)
             .select_related("house", "visit_person").order_by("grid_code", "id")[:200])
    for prop in props:
        data = {k: ("" if k == "house" else _masked(k, v)) for k, v in prop.data.items()}
        rows.append({"id": prop.pk, "kind": prop.kind, "house_code": prop.house.house_code,
                     "address": prop.house.address, "name": prop.visit_person.name, "fields": sorted(data),
                     "values": data})
    return rows


def _masked(field: str, value: str) -> str:
    from gridgov.core.masking import mask_identity_number, mask_phone

    if field == "identity_number":
        return mask_identity_number(value)
    if field == "phone":
        return mask_phone(value)
    if field == "population_type":
        return registry_codes.label(registry_codes.POPULATION_TYPE, value)
    return value


# --- grid workers: worklist and the visit form -----------------------------------------------------

def worklist(user: User) -> list[dict]:
    """The sampled houses assigned to ``user`` in campaigns still open to visits, unvisited first.

    (Another kind of worklist item, e.g. the reconciliation's people to verify, is added by its own
    selector and listed in the same page: see docs/quality.md.)"""
    if not has_capability(user, VISIT):
        raise Forbidden("missing capability %(capability)s", code="missing_capability", params={"capability": VISIT})
    rows = []
    qs = (VisitAssignment.objects.filter(worker=user).select_related("sampled_house", "campaign")
          .order_by("-campaign__period_start", "grid_code", "sampled_house__rank")[:500])
    items = list(qs)
    houses = {h.pk: h for h in registry_selectors.houses_visible(user).filter(
        pk__in=[a.sampled_house.house_id for a in items])}
    visits = dict(Visit.objects.filter(sampled_house_id__in=[a.sampled_house_id for a in items])
                  .values_list("sampled_house_id", "outcome"))
    for a in items:
        h = houses.get(a.sampled_house.house_id)
        if h is None:
            continue  # the house left the worker's jurisdiction
        rows.append({"id": a.sampled_house_id, "kind": "visit", "campaign": a.campaign.name,
                     "period_end": a.campaign.period_end, "house_code": h.house_code, "address": h.address,
                     "grid_code": a.grid_code, "outcome": visits.get(a.sampled_house_id, "")})
    rows.sort(key=lambda r: (r["outcome"] != "", r["period_end"], r["house_code"]))
    return rows


def visit_form(user: User, sampled_house_id: int, *, q: str = "") -> dict:
    """What the visit form shows: the house, its registered residents now (masked briefs), and, for
    ``q``, matches of a scoped register search (someone registered elsewhere)."""
    if not has_capability(user, VISIT):
        raise Forbidden("missing capability %(capability)s", code="missing_capability", params={"capability": VISIT})
    sampled = SampledHouse.objects.filter(pk=sampled_house_id).select_related("campaign").first()
    if sampled is None or not code_in_scope(user, sampled.grid_code, capability=VISIT):
        raise NotFound("sampled house not found")
    house = registry_selectors.house_get(user, sampled.house_id)
    residents = [registry_selectors.person_brief(r.person) for r in
                 Residence.objects.filter(house=house, end_date__isnull=True).select_related("person")
                 .order_by("start_date", "id")]
    found = []
    q = (q or "").strip()
    if q:
        here = {r["id"] for r in residents}
        found = [registry_selectors.person_brief(p) for p in
                 registry_selectors.person_search(user, q=q)[:10] if p.pk not in here]
    visit = Visit.objects.filter(sampled_house=sampled).first()
    persons = list(VisitPerson.objects.filter(visit=visit)) if visit else []
    return {"sampled": sampled, "campaign": sampled.campaign, "house": registry_selectors.house_brief(house),
            "residents": residents, "search": found, "q": q, "visit": visit, "visit_persons": persons}


# ----------------------------------------------------------------------------- for the 综治中心

def _covering(code: str) -> QuerySet[Campaign]:
    """Campaigns of ``code``'s area: inside it, or around it (a street's campaign seen from a community)."""
    return Campaign.objects.filter(Q(area_code__startswith=code) | Q(area_code__in=[code[:n] for n in (6, 9, 12)]))


def _overall(campaign: Campaign) -> dict | None:
    """The campaign's estimate of its whole area (both indicators), or None before two responding houses."""
    rows = {r["indicator"]: r for r in _estimate(campaign, "all")}
    reg = rows.get("registration_rate")
    if reg is None or reg["estimate"] is None:
        return None
    return {"campaign": campaign, "registration": reg, "accuracy": rows.get("accuracy_rate")}


def latest_estimate(user: User, code: str, *, today: date | None = None) -> dict | None:
    """The newest campaign of the area ``code`` that the user reads, whose period has ended and that
    has estimates: its registration and accuracy rates of the campaign's whole area, with intervals
    and labels. A campaign still running is left out (its houses visited so far are no sample)."""
    from django.utils import timezone

    prefixes = tuple(_reader_prefixes(user))
    today = today or timezone.localdate()
    for c in _covering(code).filter(period_end__lt=today).order_by("-period_end", "-id")[:20]:
        if not (c.area_code.startswith(prefixes) or any(p.startswith(c.area_code) for p in prefixes)):
            continue
        if not Visit.objects.filter(campaign=c).exists():
            continue
        found = _overall(c)
        if found is not None:
            return found
    return None


def accuracy_for_area(area_code: str, month_start: date, month_end: date) -> float | None:
    """The scorecard's 登记准确率 of an area: the accuracy estimate of the newest campaign of the area
    that ended by ``month_end`` (None when there is none). An aggregate: no resident data."""
    if area_code.startswith("dept:"):
        return None
    for c in _covering(area_code).filter(period_end__lte=month_end).order_by("-period_end", "-id")[:20]:
        found = _overall(c) if Visit.objects.filter(campaign=c).exists() else None
        if found is not None and found["accuracy"] is not None:
            return found["accuracy"]["estimate"]
    return None
