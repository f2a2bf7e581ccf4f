"""The main navigation. Each module adds its entry here when it exists; entries show only to users
holding the capability."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scope import has_capability


@dataclass(frozen=True)
class NavItem:
    label: object
    url_name: str
    capability: str


NAV: tuple[NavItem, ...] = (
    NavItem(_("Map"), "geo:map", "geo.view"),
)


def navigation_for(user) -> list[dict]:
    out = []
    for item in NAV:
        if not has_capability(user, item.capability):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"label": item.label, "url": url})
    return out
