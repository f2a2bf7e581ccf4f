"""Demo loader for the responsibility system (command/models/responsibility.py): the responsible
officials of every district and street of the demo city (a police station head and a deputy party
secretary per street; the political-legal secretary and the centre director per district), a
response to part of this month's warnings (so the scorecard's warning-response rate has data), and
a few supervisory actions in various states. Deterministic by seed.

Scorecards are not stored: they are computed on demand from the demo's cases, warnings and care
contacts (command/scorecard_selectors.py), so the running and the previous month show at once.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ("建国", "志强", "海涛", "丽华", "晓东", "伟", "敏", "静", "军", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明",
         "超", "秀英", "霞", "平", "刚", "桂英", "文", "华", "红", "玉兰", "斌", "鹏", "颖", "卫东", "国庆", "春燕")
RESPONSE_SHARE = 0.7  # of this month's warnings get a response assigned (指派处置) by the load


def _name(rng) -> str:
    return SURNAMES[int(rng.integers(len(SURNAMES)))] + GIVEN[int(rng.integers(len(GIVEN)))]


def _short(name: str) -> str:
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    from django.utils import timezone

    from gridgov.command.models import ResponsibleOfficial, SupervisoryAction, SupervisoryEvent
    from gridgov.geo.models import Division

    rng = np.random.default_rng([seed, 18, 2])
    today = timezone.localdate()
    districts = list(Division.objects.filter(level=6).order_by("prefix").values_list("prefix", "name"))
    streets = list(Division.objects.filter(level=9).order_by("prefix").values_list("prefix", "name"))
    officials = []
    for code, name in districts:
        officials.append(ResponsibleOfficial(area_code=code, post="district_secretary", person_name=_name(rng),
                                             unit=f"{name}委政法委", term_start=date(today.year - 2, 1, 1)))
        officials.append(ResponsibleOfficial(area_code=code, post="centre_director", person_name=_name(rng),
                                             unit=f"{name}社会治安综合治理中心", term_start=date(today.year - 1, 3, 1)))
    for code, name in streets:
        start = date(today.year - int(rng.integers(0, 4)), int(rng.integers(1, 13)), 1)
        officials.append(ResponsibleOfficial(area_code=code, post="police_head", person_name=_name(rng),
                                             unit=f"{_short(name)}派出所", term_start=start))
        officials.append(ResponsibleOfficial(area_code=code, post="deputy_secretary", person_name=_name(rng),
                                             unit=f"{name}党工委", term_start=start))
    ResponsibleOfficial.objects.bulk_create(officials, batch_size=2000)

    _respond_to_warnings(rng)

    # supervisory actions: per district, on up to three streets (green, yellow/red, closed)
    now = timezone.now()
    plans = [("listed", "入室盗窃警情连续上升", "连续三周出现入室盗窃预警，要求制定专项整治方案并落实巡防力量。", 20, 2, False),
             ("interview", "按期结案率低于全区平均", "上月按期结案率低于全区平均水平，约谈街道分管领导和派出所所长。", 6, 5, False),
             ("notice", "特殊人群走访逾期", "多名特殊人群走访逾期未完成，予以通报并限期整改。", 10, 12, True)]
    n = 0
    for dcode, _dname in districts:
        mine = [s for s in streets if s[0].startswith(dcode)]
        picks = rng.permutation(len(mine))[:3]
        for (kind, title, reason, span, ago, closed), i in zip(plans, picks, strict=False):
            issued = now - timedelta(days=ago)
            action = SupervisoryAction.objects.create(
                kind=kind, area_code=mine[int(i)][0], title=title, reason=reason, issued_at=issued,
                deadline=(issued + timedelta(days=span)).date(),
                status="closed" if closed else "open", closed_at=now - timedelta(days=1) if closed else None,
                closure_note="已完成整改，走访全部补齐。" if closed else "")
            SupervisoryEvent.objects.create(action=action, kind="issued", note=reason, at=issued)
            SupervisoryEvent.objects.create(action=action, kind="note", note="街道已提交整改方案。",
                                            at=issued + timedelta(days=1))
            if closed:
                SupervisoryEvent.objects.create(action=action, kind="closed", note=action.closure_note,
                                                at=now - timedelta(days=1))
            n += 1
    if progress is not None:
        progress("responsible officials and supervisory actions", len(officials) + n, len(officials) + n)
    return {}


def _respond_to_warnings(rng) -> None:
    """Assign a response to a share of this month's open warnings, as the warning page would (the
    status and an audit TRANSITION row, which is where the scorecard reads the response time)."""
    from django.utils import timezone

    from gridgov.command.scorecard_selectors import _bounds, month_of
    from gridgov.core.audit import audit_write
    from gridgov.core.models import AuditAction
    from gridgov.safety.models import Alert, AlertStatus

    start, end = _bounds(month_of(timezone.localdate()))
    for alert in Alert.objects.filter(created_at__gte=start, created_at__lt=end, status=AlertStatus.OPEN).order_by("id"):
        if rng.random() >= RESPONSE_SHARE:
            continue
        Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.RESPONDING, responder="辖区派出所",
                                                 version=alert.version + 1)
        audit_write(AuditAction.TRANSITION, actor_username="demo", object_type="safety_alert", object_id=alert.pk,
                    jurisdiction=alert.area_code, changes={"action": "assign", "status": [alert.status, "responding"],
                                                           "responder": "辖区派出所"})


def reset() -> None:
    from gridgov.command.models import ResponsibleOfficial, SupervisoryAction

    SupervisoryAction.objects.all().delete()
    ResponsibleOfficial.objects.all().delete()
