"""Special campaigns (专项整治): every write — create a campaign, log its actions (docs/campaigns.md)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, require_capability
from gridgov.core.audit import audit_write
from gridgov.core.codes import validate_prefix
from gridgov.core.errors import ErrorReport, FieldError, NotFound
from gridgov.core.models import AuditAction
from gridgov.safety.models import CampaignAction, Category, SpecialCampaign

MANAGE = "safety.manage"
MAX_AREAS = 200


def _date(report: ErrorReport, field: str, value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        report.add(field, "%(value)s is not a date (YYYY-MM-DD)", params={"value": repr(value)})
        return None


def _common_prefix(codes: list[str]) -> str:
    prefix = codes[0]
    for code in codes[1:]:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    for length in (15, 12, 9, 6, 4, 2):  # back to a division level
        if len(prefix) >= length:
            return prefix[:length]
    return ""


@transaction.atomic
def campaign_create(*, actor: User, title: str, areas: list[str], categories: list[str], start, end,
                    lead_unit: str, participating_units: str = "", targets: str = "") -> SpecialCampaign:
    """A campaign over ``areas`` (division or grid codes of one level, in the actor's capture scope)
    and incident ``categories`` (codes), from a Monday ``start`` to a Sunday ``end``."""
    require_capability(actor, MANAGE)
    report = ErrorReport()
    title, lead_unit = (title or "").strip(), (lead_unit or "").strip()
    if not title:
        report.add("title", "is required", code="required")
    if not lead_unit:
        report.add("lead_unit", "is required", code="required")
    codes: list[str] = []
    for raw in areas or []:
        try:
            code = validate_prefix(raw, "areas")
        except FieldError as exc:
            report.add_error(exc)
            continue
        if not code_in_scope(actor, code, capability=MANAGE, purpose="write"):
            report.add("areas", "%(value)s is outside your jurisdiction", code="out_of_scope", params={"value": code})
        elif code not in codes:
            codes.append(code)
    if not codes and not report:
        report.add("areas", "choose at least one area", code="required")
    if len(codes) > MAX_AREAS:
        report.add("areas", "at most %(n)s areas", params={"n": MAX_AREAS})
    if len({len(c) for c in codes}) > 1:
        report.add("areas", "all areas must be of one level (all communities, all streets or all grids)")
    if codes and len(codes[0]) < 9:
        report.add("areas", "a campaign covers streets, communities or grids")
    found = {c.code: c for c in Category.objects.filter(code__in=categories or [])}
    unknown = [c for c in categories or [] if c not in found]
    if unknown:
        report.add("categories", "unknown incident categories: %(codes)s", params={"codes": ", ".join(unknown)})
    elif not found:
        report.add("categories", "choose at least one incident category", code="required")
    first, last = _date(report, "start", start), _date(report, "end", end)
    if first and first.weekday() != 0:
        report.add("start", "a campaign starts on a Monday (weeks are counted Monday to Sunday)")
    if last and last.weekday() != 6:
        report.add("end", "a campaign ends on a Sunday (weeks are counted Monday to Sunday)")
    if first and last and last < first:
        report.add("end", "ends before it starts")
    report.raise_if_any("the campaign was not created")
    assert first is not None and last is not None  # a missing date is in the report
    campaign = SpecialCampaign.objects.create(
        title=title, areas=codes, area_code=_common_prefix(codes), start=first, end=last, lead_unit=lead_unit,
        participating_units=(participating_units or "").strip(), targets=(targets or "").strip(), created_by=actor)
    campaign.categories.set(found.values())
    audit_write(AuditAction.CREATE, actor=actor, object_type="special_campaign", object_id=campaign.pk,
                jurisdiction=campaign.area_code,
                changes={"title": title, "areas": codes, "categories": sorted(found), "start": str(first), "end": str(last)})
    return campaign


@transaction.atomic
def campaign_action_add(*, actor: User, campaign_id: int, day, kind: str, count: int | str = 1,
                        note: str = "") -> CampaignAction:
    require_capability(actor, MANAGE)
    campaign = SpecialCampaign.objects.filter(pk=campaign_id).first()
    if campaign is None or not code_in_scope(actor, campaign.area_code, capability=MANAGE, purpose="write"):
        raise NotFound("campaign %(id)s not found", params={"id": campaign_id})
    report = ErrorReport()
    when = _date(report, "day", day)
    if when and not campaign.start <= when <= max(campaign.end, timezone.localdate()):
        report.add("day", "outside the campaign (%(start)s to %(end)s)",
                   params={"start": str(campaign.start), "end": str(campaign.end)})
    if kind not in CampaignAction.Kind.values:
        report.add("kind", "%(value)s is not a kind of action", params={"value": repr(kind)})
    try:
        number = int(count)
        if number < 1:
            raise ValueError
    except (TypeError, ValueError):
        report.add("count", "%(value)s is not a positive whole number", params={"value": repr(count)})
        number = 0
    report.raise_if_any("the action was not logged")
    assert when is not None  # a missing date is in the report
    action = CampaignAction.objects.create(campaign=campaign, day=when, kind=kind, count=number,
                                           note=(note or "").strip()[:300], actor=actor)
    audit_write(AuditAction.CREATE, actor=actor, object_type="campaign_action", object_id=action.pk,
                jurisdiction=campaign.area_code, changes={"campaign": campaign.pk, "kind": kind, "count": number})
    return action
