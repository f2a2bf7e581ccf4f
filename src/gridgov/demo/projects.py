"""Demo loader of the base-level project list (项目清单): projects of every street of the demo
district (黄浦 310101) and of the district itself, in every status and deadline colour, with
milestones, progress notes (a few with a photo) and a location inside the street. Synthetic,
deterministic by seed; the count scales with --scale (tiny 32, small 48, city 96 at least 30).
Written through command/project_services.py by the demo district centre user, so every project
has its history and audit rows like a hand-entered one."""

from __future__ import annotations

import io
import random
from datetime import timedelta

from django.utils import timezone

DISTRICT = "310101"
COUNT = {"tiny": 32, "small": 48, "city": 96}
TITLES = {
    "01": ["综治中心规范化建设", "矛盾纠纷调处室标准化改造", "网格化服务管理工作站规范化", "综治中心接待大厅功能分区"],
    "02": ["社区民警与网格员力量配置", "专职网格员配齐配强", "群防群治队伍扩充", "派出所所长包片联系点建设"],
    "03": ["社区警务室改造", "视频监控补点建设", "老旧小区技防设施升级", "智能门禁安装"],
    "04": ["网格治理信息平台对接", "雪亮工程数据接入", "综治中心视频会商系统建设", "移动巡查终端配发"],
    "05": ["物业纠纷人民调解工作室建设", "信访积案化解专项", "婚恋家庭纠纷排查化解"],
    "06": ["平安小区创建", "无毒社区创建", "平安校园周边整治"],
    "99": ["社区法律服务点设立", "心理服务站点建设"],
}
OWNERS = ["张明", "李娜", "王强", "赵丽", "陈刚", "刘洋", "周敏", "吴磊", "郑芳", "孙伟"]
UNITS = ["综治中心", "派出所", "平安办", "司法所", "城运中心"]
NOTES = ["召开推进会, 明确分工和时间节点", "完成现场踏勘, 形成实施方案", "设备已到货, 正在安装调试",
         "完成阶段性验收, 整改意见已落实", "因施工许可延误, 已协调相关部门加快办理", "人员已到岗并完成岗前培训"]
MILESTONES = ["制定方案", "完成招标采购", "实施建设", "组织验收"]
# (status, where "today" falls in the project's time: start offset / length in days, done when)
PLANS = [
    ("done_on_time", -200, 120), ("done_late", -220, 150), ("in_progress_green", -30, 180),
    ("in_progress_yellow", -85, 100), ("overdue", -120, 90), ("planned", 10, 150), ("planned_started", -5, 200),
    ("suspended", -60, 150), ("cancelled", -90, 120), ("in_progress_green", -10, 240),
]


def _district_user():
    from gridgov.accounts import services as account_services
    from gridgov.accounts.models import User
    from gridgov.demo.loaders import DEMO_PASSWORD, DEMO_USERS

    account_services.roles_sync()
    username = DEMO_USERS["district_centre"]
    user = User.objects.filter(username=username).first()
    if user is None:
        user = account_services.user_create(username=username, password=DEMO_PASSWORD, display_name="演示区综治中心",
                                            validate_password=False)
    account_services.membership_grant(user=user, role_code="district_centre", jurisdiction=DISTRICT)
    user._gridgov_memberships = None
    return user


def _photo(rng: random.Random) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (320, 200), (rng.randint(150, 220), rng.randint(170, 220), rng.randint(180, 230)))
    draw = ImageDraw.Draw(img)
    for _ in range(4):
        x, y = rng.randint(0, 260), rng.randint(0, 150)
        draw.rectangle([x, y, x + rng.randint(30, 80), y + rng.randint(20, 50)],
                       fill=(rng.randint(40, 120), rng.randint(60, 120), rng.randint(80, 160)))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _inside(shape, rng: random.Random) -> dict:
    """A random point inside the street (rejection sampling in its bounding box)."""
    import shapely

    x0, y0, x1, y1 = shape.bounds
    for _ in range(200):
        lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if shape.contains(shapely.Point(lon, lat)):
            return {"lon": round(lon, 6), "lat": round(lat, 6)}
    centre = shape.representative_point()
    return {"lon": round(centre.x, 6), "lat": round(centre.y, 6)}


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    import shapely

    from gridgov.command import project_rules as rules
    from gridgov.command import project_services as svc
    from gridgov.command.models import ProgressNote
    from gridgov.geo.models import Division

    progress = progress or (lambda *a: None)
    rng = random.Random(seed * 104729 + 18)
    today = timezone.localdate()
    streets = list(Division.objects.filter(level=9, prefix__startswith=DISTRICT).order_by("prefix")
                   .values_list("prefix", "name", "boundary"))
    if not streets:
        return {}
    actor = _district_user()
    total = COUNT.get(scale, 48)
    areas = [(code, name, shapely.from_wkb(bytes(wkb)) if wkb else None) for code, name, wkb in streets]
    areas.append((DISTRICT, "黄浦区", None))
    cats = [c.code for c in rules.categories()]
    for i in range(total):
        code, name, shape = areas[i % len(areas)]
        rnd = i // len(areas)  # each area: an overdue project, one due soon, then the other states in turn
        plan, offset, length = PLANS[(4, 3)[rnd] if rnd < 2 else (i + rnd) % len(PLANS)]
        category = cats[i % len(cats)]
        start = today + timedelta(days=offset + rng.randint(-5, 5))
        deadline = start + timedelta(days=length + rng.randint(-10, 10))
        owner = rng.choice(OWNERS)
        unit = (name + rng.choice(UNITS)) if len(code) == 9 else "黄浦区委政法委"
        point = {}
        if shape is not None and rng.random() < 0.85:
            point = _inside(shape, rng)
        steps = [(m, start + timedelta(days=round((deadline - start).days * (k + 1) / (len(MILESTONES) + 1))))
                 for k, m in enumerate(MILESTONES[: rng.randint(2, 4)])]
        p = svc.project_create(actor=actor, title=rng.choice(TITLES[category]), category=category, area_code=code,
                               owner_name=owner, owner_unit=unit, start_date=start, deadline=deadline,
                               is_key=rng.random() < 0.3, key_year=str(start.year),
                               description=f"{name}{rng.choice(['按照', '对照'])}市级标准推进, 纳入年度考核", milestones=steps,
                               **point)
        for m in p.milestones.all():
            if m.due_date < today and (plan.startswith("done") or rng.random() < 0.7):
                svc.milestone_complete(actor=actor, milestone_id=m.pk, done_on=min(m.due_date + timedelta(days=rng.randint(-3, 4)), today))
        version = p.version
        if plan != "planned" and plan != "planned_started":
            p = svc.project_transition(actor=actor, project_id=p.pk, version=version, status="in_progress")
            version = p.version
        if start < today:
            for k in range(rng.randint(1, 3)):
                photos = [_photo(rng)] if rng.random() < 0.25 else []
                note = svc.note_add(actor=actor, project_id=p.pk, text=NOTES[(i + k) % len(NOTES)], photos=photos)
                # demo history: the notes spread over the time the project has run
                written = timezone.now() - timedelta(days=rng.randint(0, max(0, (today - start).days)), hours=rng.randint(0, 9))
                ProgressNote.objects.filter(pk=note.pk).update(created_at=written)
        if plan == "done_on_time":
            svc.project_transition(actor=actor, project_id=p.pk, version=version, status="done",
                                   today=min(today, deadline - timedelta(days=rng.randint(1, 20))))
        elif plan == "done_late":
            svc.project_transition(actor=actor, project_id=p.pk, version=version, status="done",
                                   today=min(today, deadline + timedelta(days=rng.randint(3, 20))))
        elif plan == "suspended":
            svc.project_transition(actor=actor, project_id=p.pk, version=version, status="suspended",
                                   note="资金未到位, 待区财政追加预算后恢复")
        elif plan == "cancelled":
            svc.project_transition(actor=actor, project_id=p.pk, version=version, status="cancelled",
                                   note="与市级统建项目重复, 予以撤销")
        progress("projects", i + 1, total)
    return {}


def reset() -> None:
    """Delete every project (milestones, notes, photos and history go with them; photo files stay
    under media/projects). Audit rows stay (append-only)."""
    from gridgov.command.models import Project

    Project.objects.all().delete()
