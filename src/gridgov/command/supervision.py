"""For the command screen: the open supervisory actions against an area, as cards.

``supervision_actions(user, area_code)`` -> a list of dicts ``kind`` (通报/约谈/挂牌督办, translated),
``title``, ``url`` (the action's page), ``due`` (the deadline, a date) and ``colour``: the case
deadline colours over the time from issue to the end of the deadline day — green while less than
80 % of it has elapsed, yellow below 100 %, red from then on. Scoped like every read (command.view;
an area outside the jurisdiction -> NotFound); sorted by deadline.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.command import scorecard
from gridgov.command.scorecard_selectors import TZ, actions_for_area


def deadline_end(due) -> datetime:
    """The end of the deadline day (local time): the action is on time through that day."""
    return datetime.combine(due + timedelta(days=1), time.min, tzinfo=TZ)


def colour_of(action, *, now: datetime | None = None) -> str:
    now = now or timezone.now()
    return scorecard.deadline_colour(action.issued_at.timestamp(), deadline_end(action.deadline).timestamp(),
                                     now.timestamp())


def supervision_actions(user: User, area_code: str, *, now: datetime | None = None) -> list[dict]:
    now = now or timezone.now()
    out = []
    for a in actions_for_area(user, area_code, include_closed=False):
        out.append({"kind": str(a.get_kind_display()), "title": a.title,
                    "url": reverse("command:supervision_detail", args=[a.pk]), "due": a.deadline,
                    "colour": colour_of(a, now=now)})
    return sorted(out, key=lambda d: d["due"])
