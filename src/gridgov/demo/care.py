"""Demo loader for special-population care: realistic caseloads in the demo district (黄浦 310101)
over persons of the register (gridgov.demo.registry runs first). Synthetic, deterministic by seed.

Caseloads per 10,000 residents, after published Shanghai orders of magnitude: severe mental
illness under management ~40, community corrections ~3, resettlement ~6, drug rehabilitation ~4,
youth ~5, street children ~0.5; at least a handful each so that every page has something to show.
All cases are assigned to the demo social worker (``social``), who is created here if missing.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone

DISTRICT = "310101"
PER_10K = {"mental_health": 40, "corrections": 3, "resettlement": 6, "rehabilitation": 4, "youth": 5,
           "street_children": 0.5}
MINIMUM = {"tiny": 6, "small": 8, "city": 8}
MAX_PER_PROGRAMME = {"tiny": 12, "small": 400, "city": 1500}
MINORS = {"youth", "street_children"}
#: overdue contacts on a freshly loaded demo (a handful, all due within the last few weeks)
OVERDUE = {"tiny": 4, "small": 9, "city": 12}
OVERDUE_WINDOW_DAYS = 28
NOTES = ["本人在家, 情绪稳定, 家属配合", "按时报到, 汇报近期工作和生活情况", "电话联系, 本人正常作息",
         "走访邻居了解情况, 无异常", "督促按时服药, 复诊预约已落实", "参加公益劳动4小时", "协助办理就业登记"]
PROVIDERS = [
    ("黄浦区阳光社区青少年事务中心", "01", ["youth", "street_children"]),
    ("黄浦区自强社会服务总社", "02", ["rehabilitation"]),
    ("新航社区服务总站黄浦工作站", "02", ["corrections", "resettlement"]),
    ("黄浦区过渡性安置基地", "03", ["resettlement"]),
    ("黄浦区精神卫生中心", "04", ["mental_health"]),
    ("上海市救助管理站", "99", ["street_children"]),
]
FIELDS = {
    "corrections": lambda r: {"rectifying_category": r.choice(["02", "02", "02", "03", "04", "01"]),
                              "crime_class": r.choice(["02", "03", "04", "05", "05", "06"]),
                              "receiving_mode": r.choice(["01", "03"]), "recidivist": r.random() < 0.1},
    "resettlement": lambda r: {"release_date": None, "cohesion": r.choice(["01", "02", "03", "06"]),
                               "crime_class": r.choice(["05", "06", "04"]), "recidivist": r.random() < 0.2},
    "rehabilitation": lambda r: {"control_situation": r.choice(["01", "06", "06", "05"]),
                                 "drug_reason": r.choice(["01", "02", "04", "05", "99"])},
    "youth": lambda r: {"personnel_type": r.choice(["01", "02", "02", "04"]),
                        "family_situation": r.choice(["01", "02", "03", "05"]), "help_means": r.choice(["01", "02", "04"]),
                        "offending": r.random() < 0.4},
    "street_children": lambda r: {"personnel_type": "03", "family_situation": r.choice(["02", "03", "06"]),
                                  "found_place": r.choice(["人民广场地铁站", "南京东路步行街", "外滩观景平台"])},
    "mental_health": lambda r: {"diagnosis": r.choice(["01", "01", "01", "04", "02", "06", "99"]),
                                "treatment": r.choice(["02", "02", "02", "01", "03", "04"]),
                                "family_economic": r.choice(["01", "02", "03", "04"]),
                                "incident_history": r.random() < 0.15, "low_income_support": r.random() < 0.3},
}


def _social_worker():
    from gridgov.accounts import services as account_services
    from gridgov.accounts.models import User
    from gridgov.demo.loaders import DEMO_PASSWORD, DEMO_USERS

    account_services.roles_sync()
    username = DEMO_USERS["social_worker"]
    user = User.objects.filter(username=username).first()
    if user is None:
        user = account_services.user_create(username=username, password=DEMO_PASSWORD, display_name="演示社工",
                                            validate_password=False)
    account_services.membership_grant(user=user, role_code="social_worker", jurisdiction=DISTRICT)
    user._gridgov_memberships = None
    return user


def _age(birth: date | None, today: date) -> int:
    if birth is None:
        return -1
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    from gridgov.care import services
    from gridgov.care.models import Enrolment, Provider
    from gridgov.registry.models import Person

    progress = progress or (lambda *a: None)
    rng = random.Random(seed * 7919 + 7)
    today = timezone.localdate()
    worker = _social_worker()
    people = list(Person.objects.filter(grid_code__startswith=DISTRICT, status="active")
                  .order_by("id").values_list("id", "birth_date", "grid_code"))
    if not people:
        return {"social_worker": [(DISTRICT, "capture")]}
    rng.shuffle(people)
    adults = [p for p in people if _age(p[1], today) >= 18]
    minors = [p for p in people if 8 <= _age(p[1], today) < 18]
    providers: dict[str, Provider] = {}
    for name, kind, programmes in PROVIDERS:
        grid = people[len(providers) % len(people)][2]
        providers[name] = services.provider_create(actor=worker, name=name, kind=kind, programmes=programmes,
                                                   grid_code=grid, address="黄浦区")
    plan = {p: min(MAX_PER_PROGRAMME.get(scale, 400), max(MINIMUM.get(scale, 8),
                                                          round(len(people) * rate / 10_000)))
            for p, rate in PER_10K.items()}
    total = sum(plan.values())
    done = 0
    used: set[int] = set()
    for programme, n in plan.items():
        pool = [p for p in (minors if programme in MINORS else adults) if p[0] not in used][:n]
        for person_id, _birth, _grid in pool:
            used.add(person_id)
            start = today - timedelta(days=rng.randint(20, 700))
            fields = FIELDS[programme](rng)
            if programme == "resettlement":
                fields["release_date"] = (start - timedelta(days=rng.randint(1, 10))).isoformat()
            level_table = {"corrections": ["01", "02", "02", "03"], "resettlement": ["01", "02", "02"],
                           "mental_health": ["01", "01", "02", "02", "03", "04", "05", "06"]}
            level = rng.choice(level_table.get(programme, ["01", "02", "02", "03"]))
            planned_end = start + timedelta(days=rng.randint(365, 900)) if programme != "mental_health" else None
            e = services.enrolment_create(actor=worker, programme=programme, person_id=person_id, start_date=start,
                                          level=level, fields={k: v for k, v in fields.items() if v is not None},
                                          planned_end=planned_end, plan="每月走访, 落实帮扶措施", today=today)
            _history(e, rng, today)
            if rng.random() < 0.3:
                prov = [p for p in providers.values() if programme in p.programmes]
                if prov:
                    services.referral_create(actor=worker, programme=programme, enrolment_id=e.pk,
                                             provider_id=rng.choice(prov).pk, reason="转介专业服务", today=today)
            done += 1
            progress("care enrolments", done, total)
    # a few closed cases, hand-overs (one missed: 漏管), a sealed juvenile record
    for e in list(Enrolment.objects.filter(programme__in=["corrections", "resettlement"]).order_by("id")[:2]):
        e.refresh_from_db()
        services.enrolment_close(actor=worker, programme=e.programme, enrolment_id=e.pk, version=e.version,
                                 status="completed", closure_type="01", end_date=today - timedelta(days=3),
                                 today=today)
    spare = [p for p in adults if p[0] not in used][:3]
    for i, (person_id, _b, _g) in enumerate(spare):
        services.handover_create(actor=worker, programme="corrections" if i % 2 == 0 else "resettlement",
                                 person_id=person_id, sending_institution=rng.choice(["上海市提篮桥监狱", "上海市青浦监狱",
                                                                                      "黄浦区人民法院"]),
                                 notified_on=today - timedelta(days=12 - i * 5),
                                 report_deadline=today - timedelta(days=2) + timedelta(days=i * 7))
    services.handovers_check(today=today)
    youth = Enrolment.objects.filter(programme="youth", minor_at_start=True, fields__offending=True).first()
    if youth is not None:
        services.enrolment_seal(actor=worker, programme="youth", enrolment_id=youth.pk,
                                reason="演示: 判决生效, 依法封存犯罪记录")
    _leave_overdue(rng, today, OVERDUE.get(scale, 8))
    services.contacts_mark_overdue(today=today)
    return {"social_worker": [(DISTRICT, "capture")]}


def _history(e, rng: random.Random, today: date) -> None:
    """Fabricate the past of a demo case: every due contact done (a few skipped with a reason);
    :func:`_leave_overdue` then reopens a handful of recent ones."""
    from gridgov.care.models import Contact

    past = list(Contact.objects.filter(enrolment=e, due_date__lt=today).order_by("due_date"))
    done, skipped = [], []
    for c in past:
        assert c.due_date is not None  # filtered on due_date__lt
        if rng.random() < 0.95:
            c.status, c.done_on = "completed", min(today, c.due_date + timedelta(days=rng.randint(0, 2)))
            c.notes = rng.choice(NOTES)
            c.recorded_by_id = e.worker_id
            done.append(c)
        else:
            c.status, c.skip_reason = "skipped", rng.choice(["本人住院", "外出务工已报备", "节假日顺延"])
            skipped.append(c)
    Contact.objects.bulk_update(done + skipped, ["status", "done_on", "notes", "recorded_by", "skip_reason"])


def _leave_overdue(rng: random.Random, today: date, count: int) -> int:
    """Reopen ``count`` contacts (one per enrolment) due in the last OVERDUE_WINDOW_DAYS: the
    handful of overdue contacts a caseload plausibly has on any morning. Returns how many."""
    from gridgov.care.models import Contact, Enrolment

    recent = list(Contact.objects.filter(enrolment__status=Enrolment.Status.ACTIVE, status="completed",
                                         due_date__gte=today - timedelta(days=OVERDUE_WINDOW_DAYS),
                                         due_date__lt=today - timedelta(days=1))
                  .order_by("enrolment_id", "-due_date", "id"))
    latest: dict[int, Contact] = {}
    for c in recent:
        latest.setdefault(c.enrolment_id, c)  # the latest due contact of each enrolment
    chosen = rng.sample(sorted(latest.values(), key=lambda c: c.pk), min(count, len(latest)))
    for c in chosen:
        c.status, c.done_on, c.notes, c.recorded_by_id = "scheduled", None, "", None
    Contact.objects.bulk_update(chosen, ["status", "done_on", "notes", "recorded_by"])
    return len(chosen)


def reset() -> None:
    """Delete every care row (children first). Audit rows stay (append-only)."""
    from gridgov.care.models import (
        Alert,
        BreakGlass,
        Contact,
        Enrolment,
        HandOver,
        Investigation,
        JointTask,
        LegalQuery,
        Provider,
        Referral,
        ResettlementOutcome,
        TeamMember,
    )

    for model in (BreakGlass, LegalQuery, JointTask, ResettlementOutcome, Referral, Alert, HandOver, Contact,
                  TeamMember, Investigation, Enrolment, Provider):
        model.objects.all().delete()
