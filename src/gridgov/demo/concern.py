"""Demo public concerns (issue 20 §3): three matters of public discussion in the demo street — one
closed with its statements, one awaiting its first response, one whose follow-up is overdue and
escalated. Created once the demo users exist (the street centre is the spokesperson)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    return {}  # the items need the demo street centre: attach_demo_users makes them


def attach_demo_users() -> None:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import user_prefixes
    from gridgov.cases.models import Case
    from gridgov.desk import concern_services as services
    from gridgov.desk.models import PublicConcern

    if PublicConcern.objects.exists():
        return
    street = User.objects.filter(username="street").first()
    if street is None:
        return
    area = next((p for p in user_prefixes(street, services.CAPABILITY, purpose="write") if len(p) >= 9), None)
    if area is None:
        return
    now = timezone.now()

    def publish(concern, kind, text, at):
        concern.refresh_from_db()
        services.statement_publish(actor=street, concern_id=concern.pk, kind=kind, text=text, version=concern.version,
                                   now=at)

    water = services.concern_open(
        actor=street, title="“小区自来水有异味致多人不适”传言", source="rumour",
        public_text="网上流传某小区自来水有异味，称已有多名居民身体不适，并称“水源被污染”。",
        source_description="本地生活论坛帖子及多个微信群转发截图（内容已存档）", area_code=area, spokesperson=street,
        first_response_hours=4, follow_up_hours=24, now=now - timedelta(days=3))
    publish(water, "first", "经供水企业与区卫生监督所现场取样检测，该小区自来水各项指标符合国家标准；"
            "未接到因饮水就医的报告。异味来源正在排查，请居民不信谣、不传谣。", now - timedelta(days=3) + timedelta(hours=2))
    publish(water, "follow_up", "排查确认异味来自二次供水水箱清洗后的余氯，已完成冲洗，复检合格。",
            now - timedelta(days=2) + timedelta(hours=3))
    publish(water, "closing", "该小区供水已恢复正常，复检报告已在居委会公告栏公示。感谢居民监督。",
            now - timedelta(days=1, hours=20))
    case = Case.objects.filter(grid_code__startswith=area).order_by("pk").first()
    if case is not None:
        services.concern_link_case(actor=street, concern_id=water.pk, case_id=case.pk)

    services.concern_open(
        actor=street, title="地铁站出入口积水问题集中来电", source="hotline",
        public_text="今日上午起多名市民来电反映地铁站2号出入口积水严重，担心行人滑倒。",
        source_description="12345市民服务热线今日8次来电（来电人信息不在本系统登记）", area_code=area,
        spokesperson=street, first_response_hours=4, follow_up_hours=24, now=now - timedelta(hours=3))

    bikes = services.concern_open(
        actor=street, title="媒体报道共享单车乱停放影响通行", source="news",
        public_text="本地媒体报道称，街道主干道人行道上共享单车大量堆放，盲道被占，轮椅无法通行。",
        source_link="https://news.example.org/local/bikes", area_code=area, spokesperson=street,
        first_response_hours=4, follow_up_hours=24, now=now - timedelta(hours=30))
    publish(bikes, "first", "街道已会同城管执法中队和运营企业开展集中清理，已清理单车约300辆，盲道已恢复通行。",
            now - timedelta(hours=28))
    services.concerns_escalate(now=now)


def reset() -> None:
    from gridgov.desk.models import ConcernEvent, PublicConcern, Statement

    ConcernEvent.objects.all().delete()
    Statement.objects.all().delete()
    PublicConcern.related_cases.through.objects.all().delete()
    PublicConcern.objects.all().delete()
