"""Demo loader for the prevention networks, in the demo district (310101, where the demo users
sit; else the first district with grids): patrol units per street with four weeks of patrol logs
(some grids patrolled often, some rarely), 20+ defence teams with members, rota and activity, 300+
key venues (linked to the register's organisations where one is in the grid) with inspections in
every state, 500+ cameras clustered unevenly (so coverage differs), one cooperation agreement with
the neighbouring district. Deterministic by seed for a given run date; scales with --scale."""

from __future__ import annotations

import datetime as dt

import numpy as np
import shapely

from gridgov.core.progress import Progress
from gridgov.demo.safety import _points_in

DISTRICT = "310101"
SCALE = {"tiny": 1.0, "small": 1.0, "city": 2.0}
VENUE_NAMES = {"hotel": "宾馆", "internet_cafe": "网吧", "rental_agency": "房屋中介", "express": "快递网点",
               "second_hand": "二手交易店", "school": "学校", "hospital": "医院", "market": "农贸市场",
               "construction": "建筑工地", "other": "娱乐场所"}
TEAM_KIND_NAMES = {"building_heads": "楼组长队伍", "volunteers": "平安志愿者队", "watch": "邻里守望队",
                   "militia": "民兵应急分队"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
FINDINGS = ("消防通道堆放杂物", "住宿登记不全", "监控设备故障", "从业人员信息未登记", "灭火器过期", "实名登记未落实")


def _name(rng) -> str:
    return SURNAMES[rng.integers(len(SURNAMES))] + "".join(GIVEN[i] for i in rng.integers(len(GIVEN), size=2))


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from gridgov.geo.models import Division, Grid, boundary_wkb
    from gridgov.prevention.models import (
        Camera,
        CooperationAgreement,
        CooperationMeeting,
        DefenceActivity,
        DefenceDuty,
        DefenceMember,
        DefenceTeam,
        Inspection,
        PatrolLog,
        PatrolUnit,
        Venue,
    )
    from gridgov.registry.models import Organisation

    progress = progress or Progress()
    district = DISTRICT
    rows = list(Grid.objects.filter(code__startswith=district, boundary__isnull=False).order_by("code")
                .values_list("code", "boundary"))
    if not rows:
        first = Grid.objects.filter(boundary__isnull=False).order_by("code").values_list("code", flat=True).first()
        if first is None:
            return {}
        district = first[:6]
        rows = list(Grid.objects.filter(code__startswith=district, boundary__isnull=False).order_by("code")
                    .values_list("code", "boundary"))
    rng = np.random.default_rng([seed, 19])
    k = SCALE.get(scale, 1.0)
    codes = np.array([r[0] for r in rows])
    geoms = shapely.from_wkb([boundary_wkb(r[1]) for r in rows])
    n = len(codes)
    streets = sorted({c[:9] for c in codes})
    # how much each grid attracts patrols and cameras: uneven on purpose (lognormal)
    patrol_pull = rng.lognormal(0, 1.0, n)
    patrol_pull /= patrol_pull.sum()
    camera_pull = rng.lognormal(0, 1.2, n)
    camera_pull /= camera_pull.sum()
    today = timezone.localdate()
    this_monday = today - dt.timedelta(days=today.weekday())
    tz = timezone.get_current_timezone()
    progress("prevention: patrols", 0, 1)
    with transaction.atomic():
        units = []
        kinds = ("police", "auxiliary", "security", "volunteer")
        kind_names = {"police": "民警巡逻组", "auxiliary": "辅警巡防队", "security": "保安巡逻队", "volunteer": "志愿巡防队"}
        for si, street in enumerate(streets):
            for ki, kind in enumerate(kinds[: 2 if si % 2 else 4]):
                in_street = np.flatnonzero(np.char.startswith(codes, street))
                hull = shapely.convex_hull(shapely.union_all(geoms[in_street]))
                units.append(PatrolUnit(code=f"PU{street}{ki}", name=f"{street[-3:]}街道{kind_names[kind]}", kind=kind,
                                        area_code=street, shape="area",
                                        geometry=shapely.to_geojson(shapely.simplify(hull, 0.0002)),
                                        shifts=[{"start": "08:00", "end": "16:00", "days": [1, 2, 3, 4, 5, 6, 7]},
                                                {"start": "18:00", "end": "23:00", "days": [5, 6, 7]}],
                                        headcount=int(rng.integers(2, 6))))
        PatrolUnit.objects.bulk_create(units)
        logs = []
        for unit in units:
            in_street = np.flatnonzero(np.char.startswith(codes, unit.area_code))
            pull = patrol_pull[in_street] / patrol_pull[in_street].sum()
            for week in range(5, 0, -1):
                monday = this_monday - dt.timedelta(weeks=week)
                for _ in range(int(rng.integers(12, 20) * (1 if unit.kind in ("police", "auxiliary") else 0.5))):
                    day = monday + dt.timedelta(days=int(rng.integers(7)))
                    start = dt.datetime.combine(day, dt.time(int(rng.choice([8, 9, 14, 19, 20]))), tzinfo=tz)
                    hours = float(rng.choice([2, 3, 4]))
                    visited = rng.choice(in_street, size=min(len(in_street), int(rng.integers(2, 6))), replace=False,
                                         p=pull)
                    logs.append(PatrolLog(unit=unit, area_code=unit.area_code, started_at=start,
                                          ended_at=start + dt.timedelta(hours=hours),
                                          grids_visited=[str(codes[i]) for i in visited]))
        PatrolLog.objects.bulk_create(logs, batch_size=2000)
        progress("prevention: patrols", 1, 1)

        progress("prevention: defence teams", 0, 1)
        n_teams = max(24, int(n / 4 * k))
        team_grids = rng.choice(n, size=n_teams, replace=n_teams > n)
        team_kinds = list(TEAM_KIND_NAMES)
        teams = [DefenceTeam(code=f"DT{district}{i:04d}", grid_code=str(codes[g]),
                             kind=team_kinds[i % len(team_kinds)],
                             name=f"{str(codes[g])[-6:-3]}社区{TEAM_KIND_NAMES[team_kinds[i % len(team_kinds)]]}{i % 7 + 1}",
                             leader_name=_name(rng)) for i, g in enumerate(team_grids)]
        DefenceTeam.objects.bulk_create(teams)
        members, duties, acts = [], [], []
        for team in teams:
            for _ in range(int(rng.integers(4, 12))):
                members.append(DefenceMember(team=team, grid_code=team.grid_code, name=_name(rng),
                                             phone=f"139{int(rng.integers(10**7, 10**8)):08d}",
                                             role=str(rng.choice(["队员", "队员", "队员", "副队长"]))))
            for wd in sorted({int(x) for x in rng.integers(1, 8, size=3)}):
                duties.append(DefenceDuty(team=team, weekday=wd, start=dt.time(19), end=dt.time(21)))
            for week in range(5, 0, -1):
                monday = this_monday - dt.timedelta(weeks=week)
                for _ in range(int(rng.integers(0, 4))):
                    day = monday + dt.timedelta(days=int(rng.integers(7)))
                    acts.append(DefenceActivity(team=team, grid_code=team.grid_code,
                                                started_at=dt.datetime.combine(day, dt.time(19), tzinfo=tz),
                                                hours=float(rng.choice([1.5, 2, 3])), people=int(rng.integers(2, 8)),
                                                summary="夜间巡查楼道、提醒居民关好门窗"))
        DefenceMember.objects.bulk_create(members, batch_size=2000)
        DefenceDuty.objects.bulk_create(duties, batch_size=2000)
        DefenceActivity.objects.bulk_create(acts, batch_size=2000)
        progress("prevention: defence teams", 1, 1)

        progress("prevention: venues and cameras", 0, 1)
        n_venues = max(320, int(n * 1.5 * k))
        vg = rng.choice(n, size=n_venues, replace=True)
        vlon, vlat = _points_in(geoms, vg, rng)
        orgs: dict[str, list[int]] = {}
        for pk, grid in Organisation.objects.filter(grid_code__startswith=district).values_list("pk", "grid_code"):
            orgs.setdefault(grid, []).append(pk)
        types = list(VENUE_NAMES)
        type_p = np.array([8, 4, 6, 8, 3, 3, 2, 3, 3, 4], dtype=float)
        type_p /= type_p.sum()
        venues = []
        for i, g in enumerate(vg):
            vtype = str(rng.choice(types, p=type_p))
            grid = str(codes[g])
            org_ids = orgs.get(grid)
            venues.append(Venue(code=f"V{district}{i:05d}", name=f"{grid[-6:-3]}社区{VENUE_NAMES[vtype]}{i % 50 + 1}号",
                                type=vtype, grid_code=grid, hazard=int(rng.choice([1, 1, 2, 3])),
                                organisation_id=int(rng.choice(org_ids)) if org_ids and rng.random() < 0.6 else None,
                                address=f"示范路{int(rng.integers(1, 999))}号", lon=float(vlon[i]), lat=float(vlat[i])))
        Venue.objects.bulk_create(venues, batch_size=2000)
        inspections = []
        for v in venues:
            for _ in range(int(rng.integers(0, 3))):
                on = today - dt.timedelta(days=int(rng.integers(1, 180)))
                if rng.random() < 0.3:
                    deadline = on + dt.timedelta(days=int(rng.choice([7, 15, 30])))
                    state = ("closed" if rng.random() < 0.5 else "submitted") if deadline < today - dt.timedelta(days=5) \
                        else ("overdue" if deadline < today else "rectifying")
                    inspections.append(Inspection(venue=v, grid_code=v.grid_code, inspected_on=on, state=state,
                                                  deadline=deadline, findings=str(rng.choice(FINDINGS))))
                else:
                    inspections.append(Inspection(venue=v, grid_code=v.grid_code, inspected_on=on, state="passed",
                                                  findings="未发现问题"))
        Inspection.objects.bulk_create(inspections, batch_size=2000)
        n_cams = max(520, int(n * 2.5 * k))
        cg = rng.choice(n, size=n_cams, replace=True, p=camera_pull)
        clon, clat = _points_in(geoms, cg, rng)
        status = rng.choice(["online", "faulty", "offline"], size=n_cams, p=[0.88, 0.08, 0.04])
        cams = [Camera(code=f"C{district}{i:05d}", name=f"{str(codes[g])[-6:]}-{i % 40 + 1}号探头", grid_code=str(codes[g]),
                       lon=float(clon[i]), lat=float(clat[i]), radius_m=float(rng.choice([25, 35, 50, 60])),
                       heading=float(rng.integers(0, 360)), angle=float(rng.choice([90, 120, 360])),
                       status=str(status[i])) for i, g in enumerate(cg)]
        Camera.objects.bulk_create(cams, batch_size=2000)
        from gridgov.prevention.services import cameras_bump_version

        cameras_bump_version()
        progress("prevention: venues and cameras", 1, 1)

        neighbour = (Division.objects.filter(level=6).exclude(prefix=district).order_by("code")
                     .values_list("prefix", "name").first() or ("", "相邻区"))
        edge = np.argsort(shapely.bounds(geoms)[:, 2])[-3:]  # the three easternmost grids
        joint = shapely.to_geojson(shapely.convex_hull(shapely.union_all(geoms[edge])))
        agreement = CooperationAgreement.objects.create(
            code=f"CA{district}01", title="接合部治安联防协作协议", area_code=district,
            partner_code=neighbour[0], partner_name=neighbour[1], joint_area=joint,
            signed_on=today - dt.timedelta(days=200), valid_until=today + dt.timedelta(days=530))
        CooperationMeeting.objects.bulk_create([
            CooperationMeeting(agreement=agreement, held_on=today - dt.timedelta(days=d), topic=t, decisions=dec)
            for d, t, dec in ((180, "联防工作启动会", "确定联合巡逻区域和联络人"),
                              (90, "季度联席会议", "夜间联合巡逻增加至每周两次"),
                              (20, "节前治安形势研判", "重点防范入室盗窃"))])
    return {}


def reset() -> None:
    from gridgov.prevention.models import (
        Camera,
        CooperationAgreement,
        DefenceActivity,
        DefenceTeam,
        Inspection,
        PatrolLog,
        PatrolUnit,
        Venue,
    )

    for model in (PatrolLog, PatrolUnit, DefenceActivity, DefenceTeam, Inspection, Venue, Camera,
                  CooperationAgreement):
        model.objects.all().delete()
    from gridgov.prevention.services import cameras_bump_version

    cameras_bump_version()
