"""Demo loader for events: departments per district (and a street office per street), and a year
of synthetic cases up to today over the grids already loaded, with weekday and season patterns
(fewer on weekends and holidays, a summer peak for cityscape events), some rejected, duplicated,
sent back, reworked, suspended, overdue, escalated and supervised; open ones at every stage.

Deterministic for a seed and a day (the year ends today). Rows are bulk-inserted (no audit rows:
synthetic data). ``attach_demo_users()`` links the demo users once they exist (the lead calls it
after ``demo_users``): "dept" joins the city-management and greening departments of 黄浦区,
"chengguan" the city-management department, and the grid-channel cases in the demo grid worker's grid get "grid" as their reporter.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from gridgov.cases import selectors, services, taxonomy, workflow
from gridgov.cases.models import Case, CaseEvent, CaseTask, Category, Department, DepartmentMember
from gridgov.demo import texts
from gridgov.demo.bulk import RecordInserter, indexes_built_after, next_pk, reset_sequences

SCALES = {"tiny": 400, "small": 12000, "city": 60000}  # cases in the year
WRITE_BATCH = 5000  # cases simulated, then written with their tasks and events, then dropped
WEEKDAY = np.array([1.15, 1.1, 1.05, 1.05, 1.0, 0.6, 0.5])
DOMAIN_WEIGHTS = {"event": 0.62, "component": 0.25, "dispute": 0.09, "hazard": 0.04}
CHANNELS = (["grid", "hotline", "open311", "api"], [0.6, 0.25, 0.1, 0.05])
SATISFACTION = ([5, 4, 3, 2, 1], [0.5, 0.3, 0.1, 0.06, 0.04])


def _grids():
    from gridgov.geo.models import Grid

    return list(Grid.objects.order_by("code").values_list("code", "min_lon", "min_lat", "max_lon", "max_lat"))


def _departments() -> dict[tuple[str, str], Department]:
    """One department of every kind per district; a street office per street."""
    from gridgov.geo.models import Division

    kinds = taxonomy.department_kinds()
    districts = list(Division.objects.filter(level=6).values_list("prefix", "name"))
    streets = list(Division.objects.filter(level=9).values_list("prefix", "name"))
    rows = []
    for prefix, dname in districts:
        for kind, (zh, en) in kinds.items():
            if kind != "street_office":
                rows.append(Department(code=f"{prefix}-{kind}", name=f"{dname}{zh}", name_en=f"{en} ({prefix})",
                                       kind=kind, jurisdiction=prefix))
    for prefix, sname in streets:
        rows.append(Department(code=f"{prefix}-street_office", name=f"{sname}城运中心",
                               name_en=f"Street operations centre ({prefix})", kind="street_office",
                               jurisdiction=prefix))
    Department.objects.bulk_create(rows, ignore_conflicts=True)
    return {(d.jurisdiction, d.kind): d for d in Department.objects.all()}


def _working_minutes(cal, start: datetime, minutes: float) -> datetime:
    return cal.add(start, minutes * 60)


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    services.taxonomy_sync()
    # the centre has marked 暴露垃圾 公开: Open311 lists the cases staff entered in it too (coarsened)
    Category.objects.filter(code="E0102").update(publish_staff_reports=True)
    grids = _grids()
    if not grids:
        return {}
    deps = _departments()
    cats = list(Category.objects.filter(parent__isnull=False, active=True).select_related("parent"))
    rng = np.random.default_rng(seed * 7919 + 5)
    cal = selectors.work_calendar()
    now = timezone.now()
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    days = [today - timedelta(days=i) for i in range(364, -1, -1)]
    total = SCALES.get(scale, SCALES["small"])

    # daily counts: weekday x season x holiday
    weights = []
    for d in days:
        season = 1 + 0.25 * math.sin((d.timetuple().tm_yday - 100) / 365 * 2 * math.pi)
        holiday = 0.45 if (not cal.is_workday(d) and d.weekday() < 5) else 1.0
        weights.append(WEEKDAY[d.weekday()] * season * holiday)
    weights = np.array(weights) / sum(weights)
    per_day = rng.multinomial(total, weights)

    by_domain: dict[str, list[Category]] = {}
    for c in cats:
        by_domain.setdefault(c.domain, []).append(c)
    domains = [d for d in DOMAIN_WEIGHTS if d in by_domain]
    dom_p = np.array([DOMAIN_WEIGHTS[d] for d in domains])
    dom_p /= dom_p.sum()

    # points: uniform in random grids' boxes, kept where they fall in that grid
    from gridgov.geo.selectors import locate_codes

    n_try = int(total * 1.6) + 50
    gi = rng.integers(0, len(grids), n_try)
    box = np.array([grids[i][1:] for i in gi], dtype=float)
    lon = box[:, 0] + rng.random(n_try) * (box[:, 2] - box[:, 0])
    lat = box[:, 1] + rng.random(n_try) * (box[:, 3] - box[:, 1])
    codes = locate_codes(lon, lat)
    points = [(c, x, y) for c, x, y in zip(codes, lon, lat, strict=True) if c is not None]

    trng = np.random.default_rng(seed * 7919 + 11)  # texts: their own stream, the simulation is unchanged

    def pick(n: int) -> int:
        return int(trng.integers(0, n))

    case_ins = RecordInserter(Case)
    task_ins = RecordInserter(CaseTask, with_pk=False)
    event_ins = RecordInserter(CaseEvent, with_pk=False)
    next_case = [next_pk(Case)]

    def write(cases: list[dict], plans: list) -> None:
        """Insert a batch of simulated cases with their tasks and timelines as plain rows
        (demo/bulk.py: ``bulk_create`` of model instances was two thirds of this loader's CPU);
        batches keep the year's cases of the city scale out of memory (60,000 cases)."""
        with transaction.atomic():
            for case in cases:
                case["id"] = next_case[0]
                next_case[0] += 1
            case_ins.insert(cases)
            tasks, events = [], []
            for case, plan in zip(cases, plans, strict=True):
                for t in plan["tasks"]:
                    task = dict(t, case_id=case["id"], grid_code=case["grid_code"])
                    department = task.pop("department")
                    task["department_id"] = department.pk if department is not None else None
                    tasks.append(task)
                for at, action, src, dst, note in plan["events"]:
                    # an escalation says where it went, as cases_escalate writes it (the timeline names the place)
                    data = ({"stage": workflow.STAGE_OF_STATE[dst], "from": case["grid_code"][:9],
                             "to": case["grid_code"][:6], "step": 1} if action == "escalate" else {})
                    if action in ("reject", "close") and case.get("public_note"):  # written for the public, as
                        data = {"public_note": case["public_note"]}              # case_transition records it
                    events.append({"case_id": case["id"], "grid_code": case["grid_code"], "at": at, "action": action,
                                   "from_state": src, "to_state": dst, "note": note,
                                   "actor_name": "演示" if action != "escalate" else "system",
                                   "public": action in services.PUBLIC_ACTIONS or action == "report", "data": data})
            task_ins.insert(tasks)
            if progress:
                progress("cases: timeline", 0, len(events))
            event_ins.insert(events)
            if progress:
                progress("cases: timeline", len(events), len(events))
        reset_sequences(Case, CaseTask, CaseEvent)

    cases: list = []
    plans: list = []
    written = 0
    k = 0
    # the cases, tasks and timelines first, their non-unique indexes built once at the end
    with indexes_built_after(Case, CaseTask, CaseEvent):
        for day, count in zip(days, per_day, strict=True):
            for _ in range(int(count)):
                code, x, y = points[k % len(points)]
                k += 1
                domain = domains[rng.choice(len(domains), p=dom_p)]
                pool = by_domain[domain]
                if domain == "event" and 5 <= day.month <= 9:  # summer: more cityscape and construction events
                    pool = pool + [c for c in pool if c.parent is not None and c.parent.code in ("E01", "E03")]
                cat = pool[rng.integers(0, len(pool))]
                minute = int(np.clip(rng.normal(13 * 60, 180), 7 * 60, 21 * 60))
                reported = datetime.combine(day, time(minute // 60, minute % 60), tz)
                if reported > now:
                    reported = now - timedelta(minutes=int(rng.integers(5, 120)))
                channel = CHANNELS[0][rng.choice(4, p=CHANNELS[1])]
                plan = _simulate(rng, cal, cat, code, reported, now, deps, citizen=channel in ("hotline", "open311"))
                case = dict(grid_code=code, category_id=cat.pk, channel=channel, lon=round(float(x), 6),
                            lat=round(float(y), 6), description=_describe(cat, pick), address=texts.address(pick),
                            reported_at=reported, caller_name="市民" if channel == "hotline" else "",
                            caller_phone=f"139{rng.integers(0, 10**8):08d}" if channel == "hotline" else "",
                            **{"supervising_prefix": code[:9], **plan["fields"]})
                cases.append(case)
                plans.append(plan)
            if progress:
                progress("cases: simulating", written + len(cases), total)
            if len(cases) >= WRITE_BATCH:
                write(cases, plans)
                written += len(cases)
                cases, plans = [], []
        for case, plan in _plant_worklists(rng, cal, cats, points, grids, now, deps, pick):
            cases.append(case)
            plans.append(plan)
        write(cases, plans)
    return {}


def _describe(cat: Category, pick) -> str:
    parent = cat.parent.name if cat.parent is not None else ""
    return texts.describe(cat.code, cat.name, parent, pick)


#: Cases waiting on first login, per place of the demo users (the grid covering People's Square,
#: the rest of its community, the rest of its street): (target state, how many).
PLANTED: dict[str, list[tuple[str, int]]] = {
    "grid": [("reported", 2), ("accepted", 1), ("dispatched", 1), ("handling", 1), ("handled", 2),
             ("verified", 1), ("closed", 1)],
    "community": [("reported", 1), ("handled", 2), ("verified", 1), ("closed", 1)],
    "street": [("reported", 3), ("accepted", 1), ("registered", 1), ("dispatched", 1), ("handling", 1),
               ("handled", 1)],
}
#: dispatched and handling planted cases go to the city-management department ("dept", "chengguan")
PLANT_DEPARTMENT = "city_management"


def _working_age(rng, cal, cat: Category, target: str) -> float:
    """Working seconds since a planted case was reported: the stages before ``target`` done in
    about their time limits, and part of the current stage's limit used (most are in time)."""
    limits = [cal.limit_seconds(taxonomy.limit_for(cat.stage_limits, s)) for s in workflow.STAGES]
    stage = workflow.STAGE_OF_STATE[target]
    done = workflow.STAGES.index(stage) if stage else len(workflow.STAGES)
    before = sum(limits[:done])
    current = limits[done] if stage else 8 * 3600
    return float(rng.uniform(0.45, 0.9)) * before + float(rng.uniform(0.1, 0.85)) * current


def _reported_before(cal, now: datetime, working_seconds: float) -> datetime:
    """The latest time from which ``working_seconds`` of working time have passed by ``now``."""
    lo, hi = 0.0, 60.0 * 86400
    for _ in range(40):  # bisection on the wall-clock age
        mid = (lo + hi) / 2
        if cal.working_seconds(now - timedelta(seconds=mid), now) >= working_seconds:
            hi = mid
        else:
            lo = mid
    return now - timedelta(seconds=hi)


def _plant_worklists(rng, cal, cats: list[Category], points, grids, now: datetime, deps, pick) -> list:
    """Recent open cases in the places of the demo users (street, community, grid), each stopped
    at a target state so that every worklist of theirs has something to act on at first login."""
    from gridgov.demo.geo import PEOPLES_SQUARE
    from gridgov.geo.selectors import locate_codes

    home = locate_codes([PEOPLES_SQUARE[0]], [PEOPLES_SQUARE[1]])[0]
    if home is None:
        return []
    codes = [g[0] for g in grids]
    places = {
        "grid": [home],
        "community": [c for c in codes if c.startswith(home[:12]) and c != home] or [home],
        "street": [c for c in codes if c.startswith(home[:9]) and not c.startswith(home[:12])] or [home],
    }
    by_grid: dict[str, list] = {}
    for code, x, y in points:
        by_grid.setdefault(code, []).append((x, y))
    box = {g[0]: g[1:] for g in grids}
    pool = [c for c in cats if c.domain in ("event", "component")]
    to_department = [c for c in pool if (c.departments or [""])[0] == PLANT_DEPARTMENT] or pool
    out = []
    for place, targets in PLANTED.items():
        for target, count in targets:
            for _ in range(count):
                code = places[place][int(rng.integers(0, len(places[place])))]
                x, y = by_grid.get(code, [None])[0] or ((box[code][0] + box[code][2]) / 2,
                                                        (box[code][1] + box[code][3]) / 2)
                cats_for = to_department if target in ("dispatched", "handling") else pool
                cat = cats_for[int(rng.integers(0, len(cats_for)))]
                for attempt in range(60):
                    age = _working_age(rng, cal, cat, target) * (1 + attempt / 10)
                    reported = _reported_before(cal, now, age)
                    plan = _simulate(rng, cal, cat, code, reported, now, deps, stop_at=target, citizen=False)
                    if plan["fields"]["state"] == target:
                        break
                case = dict(grid_code=code, category_id=cat.pk, channel="grid", lon=round(float(x), 6),
                            lat=round(float(y), 6), description=_describe(cat, pick), address=texts.address(pick),
                            reported_at=reported, caller_name="", caller_phone="",
                            **{"supervising_prefix": code[:9], **plan["fields"]})
                out.append((case, plan))
    return out


def _simulate(rng, cal, cat: Category, grid: str, reported: datetime, now: datetime, deps,
              stop_at: str | None = None, citizen: bool = True) -> dict:
    """The life of one case as (time, action, from, to) steps, cut at ``now`` (or once it reaches
    the state ``stop_at``)."""
    limits = {s: cal.limit_seconds(taxonomy.limit_for(cat.stage_limits, s)) for s in workflow.STAGES}
    steps: list[tuple[datetime, str, str, str, str]] = [(reported, "report", "", "reported", "")]
    fields: dict = {"overdue": False, "rework_count": 0, "sendback_count": 0}
    tasks: list[dict] = []
    state, t = "reported", reported
    stage_start = reported
    stage: str | None = "accept"

    def step(after_seconds: float, action: str, target: str, note: str = "") -> bool:
        nonlocal state, t, stage_start, stage
        if stop_at is not None and state == stop_at:
            return False
        when = cal.add(t, after_seconds)
        if when > now:
            return False
        if stage and when > cal.add(stage_start, limits[stage]):
            fields["overdue"] = True
        steps.append((when, action, state, target, note))
        state, t = target, when
        new_stage = workflow.STAGE_OF_STATE[target]
        if new_stage != stage or action in ("rework", "dispatch"):
            stage, stage_start = new_stage, when
        return True

    def lead_for(kind_index: int = 0):
        kinds = cat.departments or ["street_office"]
        kind = kinds[min(kind_index, len(kinds) - 1)]
        return deps.get((grid[:9], kind)) or deps.get((grid[:6], kind)) or deps.get((grid[:9], "street_office"))

    quick = limits["accept"]
    ok = step(rng.uniform(0.05, 0.7) * quick, "accept" if rng.random() > 0.05 else "reject", "accepted")
    if ok and steps[-1][1] == "reject":
        steps[-1] = (*steps[-1][:3], "rejected", "不属于受理范围")
        state = "rejected"
        fields["public_note"] = "不属于受理范围"
    if ok and state == "accepted":
        fields["accepted_at"] = t
        ok = step(rng.uniform(0.05, 0.8) * limits["register"], "register", "registered")
        if ok:
            fields["registered_at"] = t
            lead = lead_for(0)
            wrong = rng.random() < 0.05
            ok = step(rng.uniform(0.05, 0.9) * limits["dispatch"], "dispatch", "dispatched")
            if ok:
                fields["dispatched_at"] = t
                first = lead_for(1) if wrong else lead
                tasks.append({"department": first, "role": "lead", "assigned_at": t,
                              "deadline": cal.add(t, limits["handle"]), "limit": "", "status": "open"})
                if len(cat.departments or []) > 1 and not wrong and rng.random() < 0.25:
                    tasks.append({"department": lead_for(1), "role": "assist", "assigned_at": t,
                                  "deadline": cal.add(t, limits["handle"]), "limit": "", "status": "open"})
                if wrong and step(rng.uniform(0.1, 0.5) * limits["handle"], "send_back", "registered", "非本部门职责"):
                    fields["sendback_count"] = 1
                    tasks[0].update(status="returned", done_at=t)
                    ok = step(rng.uniform(0.1, 0.6) * limits["dispatch"], "dispatch", "dispatched")
                    if ok:
                        tasks.append({"department": lead, "role": "lead", "assigned_at": t,
                                      "deadline": cal.add(t, limits["handle"]), "limit": "", "status": "open"})
                if ok and state == "dispatched" and step(rng.uniform(0.02, 0.2) * limits["handle"], "start", "handling"):
                    if rng.random() < 0.01:
                        step(rng.uniform(0.2, 0.6) * limits["handle"], "suspend", "suspended", "需长期协调")
                    else:
                        dur = float(np.exp(rng.normal(-0.8, 0.5))) * limits["handle"]
                        if step(dur, "feedback", "handled", "已处置"):
                            fields["handled_at"] = t
                            fields["handled_on_time"] = not fields["overdue"]
                            _finish(rng, cal, limits, step, fields, tasks, state_ref=lambda: state, t_ref=lambda: t,
                                    citizen=citizen)
    if fields["overdue"] and rng.random() < 0.3:  # 督办: a card on some late cases
        card = "red" if rng.random() < 0.3 else "yellow"
        when = fields.get("handled_at") or t
        if state in workflow.OPEN_STATES:
            fields["supervision"] = card
        steps.append((when, "supervise", state if when == t else "handling", state if when == t else "handling",
                      "黄牌督办" if card == "yellow" else "红牌督办"))
        steps.sort(key=lambda s: s[0])
    for task in tasks:
        if task["status"] == "open" and state in ("handled", "verified", "closed", "evaluated"):
            task.update(status="done", done_at=fields.get("handled_at"), result="已处置")
    fields["state"] = state
    fields["updated_at"] = t
    running = workflow.STAGE_OF_STATE[state]
    if running:
        fields.update(stage=running, stage_started_at=stage_start, stage_limit_seconds=limits[running],
                      stage_deadline=cal.add(stage_start, limits[running]))
        if fields["stage_deadline"] < now:
            escalated_at = max(fields["stage_deadline"], t)
            fields.update(stage_escalated=True, escalation_level=1, supervising_prefix=grid[:6],
                          next_escalation_at=services.next_escalation(cal, grid[:6], escalated_at))
            steps.append((escalated_at, "escalate", state, state, f"{running} overdue"))
    return {"fields": fields, "tasks": tasks, "events": steps}


def _finish(rng, cal, limits, step, fields, tasks, *, state_ref, t_ref, citizen: bool) -> None:
    if rng.random() < 0.08 and step(rng.uniform(0.2, 1.2) * limits["verify"], "rework", "handling", "未处置到位"):
        fields["rework_count"] = 1
        if not step(float(np.exp(rng.normal(-1.2, 0.5))) * limits["handle"], "feedback", "handled", "已重新处置"):
            return
    if not step(rng.uniform(0.1, 1.02) * limits["verify"], "verify", "verified"):
        return
    fields["verified_at"] = t_ref()
    if not step(rng.uniform(0.1, 1.0) * limits["close"], "close", "closed", "已办结"):
        return
    fields["closed_at"] = t_ref()
    fields["public_note"] = "已办结"
    # the satisfaction callback (回访) is the citizen's: hotline and Open311 reports only
    if citizen and rng.random() < 0.7 and step(rng.uniform(1, 3) * 8 * 3600, "evaluate", "evaluated"):
        score = int(rng.choice(SATISFACTION[0], p=SATISFACTION[1]))
        if fields["overdue"] and score > 3 and rng.random() < 0.4:
            score -= 2
        fields["satisfaction"] = score
        fields["evaluated_at"] = t_ref()


def attach_demo_users() -> dict:
    """Call after the demo users exist: "dept" joins two departments of 黄浦区, "chengguan" its
    city-management department; grid-channel cases in
    the demo grid worker's capture grid get "grid" as reporter. Idempotent."""
    from gridgov.accounts.models import User

    out: dict[str, Any] = {}
    members = {"dept": ("310101-city_management", "310101-greening_sanitation"),
               "chengguan": ("310101-city_management",)}
    for username, codes in members.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        for code in codes:
            dep = Department.objects.filter(code=code).first()
            if dep is not None:
                DepartmentMember.objects.get_or_create(user=user, department=dep)
                out.setdefault(username, []).append(code)
    grid = User.objects.filter(username="grid").first()
    if grid is not None:
        cells = [m.jurisdiction for m in grid.active_memberships() if m.scope == "capture" and len(m.jurisdiction) == 15]
        if cells:
            out["grid_reports"] = Case.objects.filter(grid_code__in=cells, channel="grid",
                                                      reporter__isnull=True).update(reporter=grid)
    return out


def reset() -> None:
    Case.objects.all().delete()
    DepartmentMember.objects.all().delete()
    Department.objects.all().delete()
