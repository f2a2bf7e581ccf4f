"""Demo loader for registration quality: in the demo street (黄浦区, the demo grid worker's street) one
finished verification campaign of last quarter and one running campaign of this quarter, so the
estimates, the map, the trend and the grid worker's worklist show something on first login.

Runs after the demo users exist (``attach_demo_users``): the campaigns are designed by the demo
district centre through ``campaign_design`` (the real sample), assigned by ``assignment_default``;
every grid of the street without a grid worker gets one (``_grid_workers``: an account without a
password, a record of who visits, not a login), so every sampled house has its visitor;
the visits are generated in bulk (synthetic, deterministic by seed) with realistic rates: about 4%
refused and 2% house not found (non-response), 5% empty houses, about 93% of the persons found
registered and about 90% of the registered records accurate. Idempotent.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

FINISHED = "2026年第三季度实有人口登记质量核查"
RUNNING = "2026年第四季度实有人口登记质量核查"
#: per sampled house: refused, not found, empty (the rest: residents found)
REFUSED, NOT_FOUND, EMPTY = 0.04, 0.02, 0.05
UNREGISTERED_PER_REGISTERED = 0.075  # ~93% registered among the persons found
INACCURATE = 0.10  # ~90% of the registered records agree on every checked field
SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    return {}  # everything happens once the demo users exist (attach_demo_users)


def _visit(rng: random.Random, campaign, sampled, worker_id, residents: list[tuple[int, str]], visited_on) -> tuple:
    from gridgov.quality.models import CorrectionProposal, Visit, VisitPerson

    u = rng.random()
    if u < REFUSED:
        outcome = Visit.Outcome.REFUSED
    elif u < REFUSED + NOT_FOUND:
        outcome = Visit.Outcome.NOT_FOUND
    elif u < REFUSED + NOT_FOUND + EMPTY or not residents:
        outcome = Visit.Outcome.EMPTY
    else:
        outcome = Visit.Outcome.FOUND
    persons: list = []
    proposals: list = []
    if outcome == Visit.Outcome.FOUND:
        for pid, name in residents:
            differing = []
            if rng.random() < INACCURATE:
                differing = [rng.choice(["phone", "phone", "population_type", "name", "identity_number"])]
            persons.append((VisitPerson(registered=True, person_id=pid, name=name, differing=differing), differing))
            if rng.random() < UNREGISTERED_PER_REGISTERED:
                stub = {"name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                        "sex": rng.choice("12"), "birth_date": f"{rng.randint(1960, 2005)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                        "population_type": "02"}
                persons.append((VisitPerson(registered=False, name=stub["name"], stub=stub), None))
    registered = [vp for vp, _ in persons if vp.registered]
    visit = Visit(sampled_house=sampled, campaign=campaign, grid_code=sampled.grid_code, worker_id=worker_id,
                  outcome=outcome, visited_on=visited_on, persons_found=len(persons),
                  persons_registered=len(registered), records_checked=len(registered),
                  records_accurate=sum(1 for vp in registered if not vp.differing))
    for vp, differing in persons:
        if differing:
            value = {"phone": f"139{rng.randint(10**7, 10**8 - 1)}", "population_type": "02",
                     "name": vp.name[:1] + rng.choice(GIVEN) + rng.choice(GIVEN),
                     "identity_number": ""}[differing[0]]
            if value:
                proposals.append((vp, CorrectionProposal(campaign=campaign, grid_code=sampled.grid_code,
                                                         kind="update", person_id=vp.person_id,
                                                         house_id=sampled.house_id, data={differing[0]: value})))
        elif differing is None:
            proposals.append((vp, CorrectionProposal(campaign=campaign, grid_code=sampled.grid_code, kind="register",
                                                     house_id=sampled.house_id, data=dict(vp.stub))))
    return visit, persons, proposals


def _visit_many(rng, campaign, sampled_houses, start, days) -> int:
    from gridgov.quality.models import CorrectionProposal, Visit, VisitAssignment, VisitPerson
    from gridgov.registry.models import Residence

    worker_of = dict(VisitAssignment.objects.filter(campaign=campaign).values_list("sampled_house_id", "worker_id"))
    residents: dict[int, list] = {}
    for house_id, pid, name in (Residence.objects.filter(house_id__in=[s.house_id for s in sampled_houses],
                                                         end_date__isnull=True)
                                .order_by("house_id", "id").values_list("house_id", "person_id", "person__name")):
        residents.setdefault(house_id, []).append((pid, name))
    made = [_visit(rng, campaign, s, worker_of.get(s.pk), residents.get(s.house_id, []),
                   start + timedelta(days=rng.randrange(days))) for s in sampled_houses]
    visits = Visit.objects.bulk_create([m[0] for m in made], batch_size=500)
    vps = []
    for visit, (_, persons, _) in zip(visits, made, strict=True):
        for vp, _ in persons:
            vp.visit = visit
            vps.append(vp)
    VisitPerson.objects.bulk_create(vps, batch_size=500)
    props = []
    for _, _, proposals in made:
        for vp, p in proposals:
            p.visit_person = vp
            props.append(p)
    CorrectionProposal.objects.bulk_create(props, batch_size=500)
    return len(visits)


def _grid_workers(street: str) -> int:
    """A grid worker for every grid of ``street`` that has none (username ``gw`` + the grid's last six
    digits, named after the grid, no usable password: it cannot sign in). Returns how many were made."""
    from gridgov.accounts import services as account_services
    from gridgov.accounts.models import Membership, User
    from gridgov.geo.models import Grid

    staffed = set(Membership.objects.filter(active=True, role__code="grid_worker", scope=Membership.Scope.CAPTURE,
                                            jurisdiction__startswith=street).values_list("jurisdiction", flat=True))
    made = 0
    for code, name in Grid.objects.filter(code__startswith=street).order_by("code").values_list("code", "name"):
        if code in staffed:
            continue
        user, created = User.objects.get_or_create(username=f"gw{code[-6:]}", defaults={"display_name": f"{name}网格员"})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            made += 1
        account_services.membership_grant(user=user, role_code="grid_worker", jurisdiction=code)
    return made


def attach_demo_users() -> dict:
    from gridgov.accounts.models import User
    from gridgov.quality import services, visit_services
    from gridgov.quality.models import Campaign, SampledHouse

    district = User.objects.filter(username="district").first()
    grid = User.objects.filter(username="grid").first()
    if district is None or grid is None or Campaign.objects.filter(name=FINISHED).exists():
        return {}
    capture = [m.jurisdiction for m in grid.active_memberships() if m.scope == "capture"]
    if not capture:
        return {}
    street = capture[0][:9]
    _grid_workers(street)
    rng = random.Random(4099)
    today = timezone.localdate()
    out = {}
    for name, begin, end, share in ((FINISHED, today - timedelta(days=100), today - timedelta(days=70), 1.0),
                                    (RUNNING, today - timedelta(days=12), today + timedelta(days=18), 0.6)):
        campaign = services.campaign_design(actor=district, name=name, area_code=street, period_start=begin,
                                            period_end=end, target_margin=0.03, seed=rng.randrange(2**40))
        visit_services.assignment_default(actor=district, campaign_id=campaign.pk)
        houses = list(SampledHouse.objects.filter(campaign=campaign).order_by("grid_code", "rank"))
        if share < 1:  # the running campaign: the demo grid still to visit, the rest partly done
            houses = [h for h in houses if not h.grid_code.startswith(capture[0]) and rng.random() < share]
        days = max(1, min((end - begin).days, (today - begin).days))
        out[name] = _visit_many(rng, campaign, houses, begin, days)
    return out


def reset() -> None:
    from gridgov.quality.models import Campaign

    Campaign.objects.all().delete()
