"""What the other modules put on the command screen (command/screen.py registries): imported by
CommandConfig.ready(). Each source scopes through its own module's selectors."""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext

from gridgov.accounts.models import User
from gridgov.command import project_selectors
from gridgov.command.hooks import PROJECT_COMPLETION, REGISTRATION_QUALITY
from gridgov.command.screen import ActionItem, Tile, register_action_source, register_tile_source


@register_tile_source
def projects_overdue(user: User, area_code: str) -> list[Tile]:
    """项目清单: open projects of the area past their deadline."""
    n = len(project_selectors.project_list(user, area=area_code, colour="overdue"))
    return [Tile("projects_overdue", gettext("Projects overdue"), str(n), n,
                 gettext("open projects of the area (planned, in progress, suspended) past their deadline"),
                 url=f"{reverse('command:projects')}?area={area_code}&colour=overdue",
                 colour="red" if n else "green", order=60)]


@register_action_source
def project_cards(user: User, area_code: str) -> list[ActionItem]:
    """Supervision cards of overdue projects and of projects in their last 20 % of time."""
    return [ActionItem(card["kind"], card["title"], card["url"], date.fromisoformat(card["due"]), card["colour"])
            for card in project_selectors.project_actions(user, area_code)]


@register_action_source
def public_concerns_overdue(user: User, area_code: str) -> list[ActionItem]:
    """舆情回应: items of the area whose next statement is overdue (escalated)."""
    from django.utils import timezone

    from gridgov.desk import concern_selectors

    qs = (concern_selectors.concerns_visible(user)  # Forbidden without the capability: left off
          .filter(area_code__startswith=area_code, escalated_at__isnull=False).exclude(status="closed"))
    return [ActionItem("public_concern", gettext("Public concern overdue: %(title)s") % {"title": c.title},
                       reverse("desk:concern_detail", args=[c.pk]),
                       timezone.localtime(c.due_at).date() if c.due_at else None, "red")
            for c in qs.order_by("due_at")[:20]]


@register_action_source
def supervision_cards(user: User, area_code: str) -> list[ActionItem]:
    """Open 通报/约谈/挂牌督办 against the area (command/supervision.py)."""
    from gridgov.command.supervision import supervision_actions

    return [ActionItem("supervision", f"{card['kind']}：{card['title']}", card["url"], card["due"], card["colour"])
            for card in supervision_actions(user, area_code)]


def _project_completion(unit_code: str, month_start: date, month_end: date) -> float | None:
    """The scorecard's 项目完成率 of an area; departments own no projects (no data)."""
    if unit_code.startswith("dept:"):
        return None
    return project_selectors.project_completion(unit_code, month_start, month_end)


PROJECT_COMPLETION.register(_project_completion)


def _day(value) -> date | None:
    if value is None or isinstance(value, date) and not hasattr(value, "hour"):
        return value
    from django.utils import timezone

    return timezone.localtime(value).date()


@register_tile_source
def desk_today(user: User, area_code: str) -> list[Tile]:
    """一站式窗口: requests received today and open requests past their promised date."""
    from gridgov.desk import selectors as desk_selectors

    figures = desk_selectors.desk_figures(user, area_code)  # Forbidden without desk.intake: left off
    n, overdue = figures["received_today"], figures["overdue"]
    return [Tile("desk_today", gettext("Desk requests today"), str(n), n,
                 gettext("requests received at the one-stop desk today (all routes); open and overdue: %(overdue)s")
                 % {"overdue": overdue}, url=reverse("desk:home"), colour="red" if overdue else "green", order=70)]


@register_action_source
def desk_cards(user: User, area_code: str) -> list[ActionItem]:
    """Desk requests overdue or due, finished work to close with the visitor, permits to review."""
    from gridgov.desk import selectors as desk_selectors

    return [ActionItem(card["kind"], str(card["title"]), card["url"], _day(card["due"]), card["colour"])
            for card in desk_selectors.desk_actions(user, area_code)]


def _registration_quality(unit_code: str, month_start: date, month_end: date) -> float | None:
    from gridgov.quality import selectors as quality_selectors

    return quality_selectors.accuracy_for_area(unit_code, month_start, month_end)


REGISTRATION_QUALITY.register(_registration_quality)
