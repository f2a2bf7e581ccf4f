"""Demo loader for the one-stop desk and the services for migrant residents, in the demo district
(黄浦 310101), over the register and the events taxonomy already loaded. Deterministic by seed.

- a day's desk requests (today, in working hours) in every route and state: answered questions,
  problems routed to events, permit applications and renewals, referrals, residence registrations;
  and some of the last two weeks, closed with the visitor's satisfaction or overdue (escalated);
- residence permits expiring within 30 days (renewal reminders) and applications waiting for review;
- service providers and referrals for employment, housing, medical care and social insurance;
- two government-purchased social-work projects with agreed outputs and outputs recorded.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from gridgov.core.errors import GridgovError

DISTRICT = "310101"
PER_DAY = {"tiny": 12, "small": 24, "city": 40}
PAST_DAYS = 10
QUESTIONS = [("居住证办理需要哪些材料？", "身份证、近期照片、租赁合同或房产证明、就业或就读证明"),
             ("孩子入学积分怎么查？", "已告知登录市教委网站查询并留存办理指引"),
             ("灵活就业人员怎样参加社保？", "已告知到街道社保服务窗口办理灵活就业登记"),
             ("租房合同备案在哪里办？", "已告知到房屋所在居委会或街道房管办办理")]
#: problems brought to the desk, each with its event category (cases/data/taxonomy.json)
PROBLEMS = [("楼道堆物堵塞消防通道，多次反映未解决", "E0199"), ("隔壁装修噪音扰民，晚上十点后仍施工", "E0301"),
            ("小区门口共享单车乱停放，堵住人行道", "E0505"), ("楼上空调外机滴水，协商不成", "E0199"),
            ("小区路灯损坏一周未修", "C0111")]
SERVICE = [("employment", "求职登记，希望从事物业或保洁工作"), ("housing", "咨询公租房申请条件"),
           ("medical", "孩子疫苗接种和社区就医指引"), ("insurance", "办理灵活就业人员社保参保")]
PROVIDERS = [("黄浦区就业促进中心", "S01"), ("黄浦区住房保障事务中心", "S01"), ("黄浦区社区卫生服务中心", "S02"),
             ("黄浦区社会保险事业管理中心", "S01"), ("黄浦区乐群社会工作服务社", "S02"), ("上海新航社区服务总站", "S02")]
#: the provider (index in PROVIDERS) of each kind of referral
PROVIDER_OF = {"employment": 0, "housing": 1, "medical": 2, "insurance": 3}
SATISFACTION = ["satisfied", "satisfied", "satisfied", "basic", "unsatisfied", "declined"]


def _at(day: date, rng: random.Random) -> datetime:
    tz = timezone.get_current_timezone()
    minute = rng.randint(0, 7 * 60)
    clock = time(9 + minute // 60 + (1 if minute >= 180 else 0), minute % 60)
    return datetime.combine(day, clock, tzinfo=tz)


def _desk_street() -> str:
    """The street of the demo street centre and desk officer (the geo loader's choice), else the district."""
    from gridgov.core.models import SystemState

    state = SystemState.objects.filter(key="demo:geo").first()
    places = ((state.value or {}).get("jurisdictions") or {}).get("desk_officer") if state else None
    return places[0][0] if places else DISTRICT


def _providers(rng: random.Random, grid_codes: list[str]) -> list:
    from gridgov.registry.models import Organisation

    out = []
    for i, (name, category) in enumerate(PROVIDERS):
        org = Organisation.objects.filter(name=name).first()
        if org is None:
            org = Organisation.objects.create(name=name, category=category, grid_code=grid_codes[i % len(grid_codes)],
                                              address=f"黄浦区{rng.choice(['汉口路', '福州路', '南京东路'])}{rng.randint(1, 500)}号")
        out.append(org)
    return out


def _pools(area: str, rng: random.Random) -> dict:
    from gridgov.registry.models import House, Person, ResidencePermit

    floating = list(Person.objects.filter(grid_code__startswith=area, population_type="02", status="active")
                    .order_by("id")[:4000].values_list("id", flat=True))
    locals_ = list(Person.objects.filter(grid_code__startswith=area, population_type="01", status="active")
                   .order_by("id")[:4000].values_list("id", flat=True))
    houses = list(House.objects.filter(grid_code__startswith=area).order_by("id")[:4000].values_list("id", flat=True))
    rng.shuffle(floating)
    rng.shuffle(locals_)
    grid_codes = sorted({g for g in Person.objects.filter(pk__in=locals_[:200]).values_list("grid_code", flat=True)})
    with_permit = set(ResidencePermit.objects.filter(person_id__in=floating).values_list("person_id", flat=True))
    return {"floating": floating, "locals_": locals_, "houses": houses, "grid_codes": grid_codes,
            "with_permit": with_permit, "no_permit": [p for p in floating if p not in with_permit]}


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    """Service providers, permits due for renewal (reminders raised) and the social-work projects.
    The desk's requests are received by the demo desk officer once the demo users exist
    (``attach_demo_users``)."""
    from gridgov.desk import services
    from gridgov.registry.models import ResidencePermit

    rng = random.Random(seed * 7919 + 20)
    today = timezone.localdate()
    pools = _pools(_desk_street(), rng)
    if not pools["floating"] or not pools["locals_"] or not pools["houses"]:
        return {}
    providers = _providers(rng, pools["grid_codes"])
    due = ResidencePermit.objects.filter(person_id__in=pools["floating"], status="valid", expiry_date__gte=today,
                                         expiry_date__lte=today + timedelta(days=30)).count()
    for i, pid in enumerate(sorted(pools["with_permit"])[:max(0, 8 - due)]):
        expiry = today + timedelta(days=3 + 4 * i)
        ResidencePermit.objects.filter(person_id=pid, status="valid").update(
            expiry_date=expiry, issue_date=expiry.replace(year=expiry.year - 1) + timedelta(days=1))
    services.permit_reminders_raise(today=today)
    _projects(services, rng, providers, pools["grid_codes"], today)
    return {}


def attach_demo_users() -> None:
    """The demo desk officer receives the last two weeks' requests and today's (once per load)."""
    from gridgov.accounts.models import User
    from gridgov.core.models import SystemState
    from gridgov.demo.loaders import DEMO_USERS
    from gridgov.desk import services
    from gridgov.desk.models import DeskRequest
    from gridgov.registry.models import Organisation

    officer = User.objects.filter(username=DEMO_USERS["desk_officer"]).first()
    state = SystemState.objects.filter(key="demo:desk").first()
    if officer is None or state is None or DeskRequest.objects.exists():
        return
    params = (state.value or {}).get("params") or {}
    scale, seed = params.get("scale", "small"), int(params.get("seed", 1))
    rng = random.Random(seed * 7919 + 21)
    area = _desk_street()
    pools = _pools(area, rng)
    providers = list(Organisation.objects.filter(name__in=[name for name, _ in PROVIDERS]).order_by("id"))
    if not pools["floating"] or not pools["locals_"] or not providers:
        return
    today = timezone.localdate()
    n = PER_DAY.get(scale, PER_DAY["small"])
    days = [(today - timedelta(days=d)) for d in range(PAST_DAYS, 0, -1)]
    days = [d for d in days if d.weekday() < 5] + [today]
    for day in days:
        for _k in range(n if day == today else max(2, n // 4)):
            at = min(_at(day, rng), timezone.now()) if day == today else _at(day, rng)
            kind = rng.choice(["question", "question", "problem", "problem", "permit", "permit_renewal", "service",
                               "residence"])
            try:
                r = _one(services, rng, kind, at=at, actor=officer, providers=providers, area=area, **{
                    k: pools[k] for k in ("floating", "no_permit", "locals_", "houses", "grid_codes")})
            except (GridgovError, LookupError, IndexError):  # the drawn resident does not fit the kind: next
                continue
            if day < today - timedelta(days=3):
                _advance(services, rng, r, day, officer)
    services.requests_escalate()


def _one(services, rng: random.Random, kind: str, *, at, actor, floating, no_permit, locals_, houses, providers,
         grid_codes, area):
    base = {"actor": actor, "channel": rng.choice(["in_person", "in_person", "phone"]), "now": at}
    if kind == "question":
        q, a = rng.choice(QUESTIONS)
        if rng.random() < 0.5:
            return services.request_receive(**base, kind=kind, text=q, answer=a, visitor_name=rng.choice(
                ["王女士", "李先生", "张阿姨", "陈师傅"]), visitor_phone=f"139{rng.randint(10000000, 99999999)}",
                grid_code=rng.choice(grid_codes))
        return services.request_receive(**base, kind=kind, text=q, answer=a, person_id=rng.choice(locals_))
    if kind == "problem":
        text, category = rng.choice(PROBLEMS)
        pid = rng.choice(locals_ + floating)
        # where the problem is: a street address (from the visitor's id, not the generator, so the
        # draws after it stay as they were)
        address = f"{('汉口路', '福州路', '九江路', '南京东路')[pid % 4]}{pid % 300 + 1}号"
        return services.request_receive(**base, kind=kind, text=text, category_code=category, person_id=pid,
                                        address=address)
    if kind == "permit":
        pid = no_permit.pop() if no_permit else rng.choice(floating)
        docs = ["identity", "photo", "residence_proof", "condition_proof"]
        if rng.random() < 0.25:
            docs = docs[:3]
        return services.request_receive(**base, kind=kind, text="申领居住证", person_id=pid,
                                        condition=rng.choice(["employment", "residence", "study"]), documents=docs)
    if kind == "permit_renewal":
        from gridgov.desk.models import PermitReminder

        rem = (PermitReminder.objects.filter(permit__status="valid", grid_code__startswith=area)
               .order_by("expiry_date", "id")
               .exclude(permit__person_id__in=_applied()).first())
        if rem is None:
            raise LookupError("no renewal due")
        return services.request_receive(**base, kind=kind, text="居住证即将到期，办理续签",
                                        person_id=rem.permit.person_id,
                                        documents=["identity", "photo", "residence_proof", "condition_proof"])
    if kind == "service":
        what, text = rng.choice(SERVICE)
        return services.request_receive(**base, kind=kind, text=text, person_id=rng.choice(floating),
                                        referral_kind=what, organisation_id=providers[PROVIDER_OF[what]].pk)
    return services.request_receive(**base, kind="residence", text="人户分离，办理居住登记",
                                    person_id=locals_.pop(), house_id=rng.choice(houses))


def _applied() -> list[int]:
    from gridgov.desk.models import PermitApplication

    return list(PermitApplication.objects.filter(status="submitted").values_list("person_id", flat=True))


def _advance(services, rng: random.Random, r, day: date, officer) -> None:
    """Requests of earlier days: the routed work done and most of them closed with the visitor."""
    from gridgov.desk.models import DeskRequest

    if r.route == "permit":
        app = r.permit_application
        complete = all(app.documents.values())
        services.permit_review(actor=officer, application_id=app.pk, version=app.version, approve=complete,
                               note="" if complete else "缺少申领条件证明，请补齐后重新申请", today=day + timedelta(days=3))
    elif r.route == "referral":
        ref = r.referral
        services.referral_record(actor=officer, referral_id=ref.pk, version=ref.version, status="completed",
                                 outcome=rng.choice(["已对接岗位并上岗", "已完成参保登记", "已安排就诊", "已受理申请"]),
                                 today=day + timedelta(days=2))
    if r.route == "case" or r.status == DeskRequest.Status.CLOSED:
        return  # events follow the events module's own workflow; the overdue ones escalate
    r.refresh_from_db()
    services.request_close(actor=officer, request_id=r.pk, version=r.version, satisfaction=rng.choice(SATISFACTION),
                           now=r.received_at + timedelta(days=3))


def _projects(services, rng: random.Random, providers, grid_codes, today: date) -> None:
    street = grid_codes[0][:9]
    communities = sorted({g[:12] for g in grid_codes if g.startswith(street)})[:3]
    start = date(today.year, 1, 1)
    specs = [("来沪人员社会融入服务项目", providers[4], ["来沪人员", "随迁子女"], "380000",
              [("入户走访", "户次", 240), ("政策宣讲", "场", 12), ("就业指导", "人次", 80)]),
             ("社区矫正与安置帮教社会工作服务项目", providers[5], ["社区矫正对象", "刑满释放人员"], "520000",
              [("个案服务", "人", 40), ("小组活动", "场", 16), ("家庭走访", "户次", 120)])]
    elapsed = max(0.05, (today - start).days / 365)
    for name, org, groups, budget, outputs in specs:
        proj = services.project_create(actor=None, name=name, provider_id=org.pk, area_code=street,
                                       areas=communities or [street], target_groups=groups, budget_yuan=budget,
                                       start_date=start, end_date=date(today.year, 12, 31), outputs=outputs)
        for out in proj.outputs.all():
            left = int(out.target * elapsed * rng.uniform(0.6, 1.1))
            month = 1
            while left > 0 and date(today.year, month, 15) <= today:
                q = max(1, min(left, out.target // 10 + rng.randint(0, 3)))
                services.output_record(actor=None, output_id=out.pk, on=date(today.year, month, 15), quantity=q,
                                       note="月度汇总")
                left -= q
                month += 1


def reset() -> None:
    from gridgov.desk.models import (
        DeskRequest,
        OutputRecord,
        PermitApplication,
        PermitReminder,
        ProjectOutput,
        ResidenceRegistration,
        ServiceReferral,
        SocialWorkProject,
        Visitor,
    )
    from gridgov.registry.models import Organisation

    for model in (DeskRequest, Visitor, PermitReminder, PermitApplication, ResidenceRegistration, ServiceReferral,
                  OutputRecord, ProjectOutput, SocialWorkProject):
        model.objects.all().delete()
    Organisation.objects.filter(name__in=[name for name, _ in PROVIDERS]).delete()
