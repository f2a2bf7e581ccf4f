"""The main navigation. Each module adds its entry here when it exists; entries show only to users
holding the capability; related entries form a menu (``NavGroup``). The context processor
``navigation`` puts it into every template as ``nav`` (entries and menus) and ``nav_links`` (every
link, menus opened)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.capabilities import CAPABILITIES
from gridgov.accounts.scope import has_capability


@dataclass(frozen=True)
class NavItem:
    label: object
    url_name: str
    capabilities: tuple[str, ...]  # any one of them shows the entry


@dataclass(frozen=True)
class NavGroup:
    """A menu of entries under one heading. With one visible entry it is shown as that entry alone
    (under the entry's own label); with none it is not shown."""

    label: object
    items: tuple[NavItem, ...]


# An entry appears once its URL name exists (the module is installed) and the user holds one of
# its capabilities.
NAV: tuple[NavItem | NavGroup, ...] = (
    NavItem(_("Map"), "geo:map", ("geo.view",)),
    NavItem(_("Residents and houses"), "registry:persons", ("registry.view",)),
    NavItem(_("Events"), "cases:home", ("cases.view",)),
    NavGroup(_("Public safety and prevention"), (
        NavItem(_("Public safety"), "safety:situation", ("safety.view",)),
        NavItem(_("Special campaigns"), "safety:campaigns", ("safety.view",)),
        NavItem(_("Prevention networks"), "prevention:gaps", ("prevention.view",)),
    )),
    # command.view: the 综治中心 see the care figures of their area (no files; care.views redirects them)
    NavItem(_("Special-population care"), "care:caseload",
            (*(c for c in CAPABILITIES if c.startswith("care.")), "command.view")),
    NavGroup(_("One-stop service"), (
        NavItem(_("One-stop desk"), "desk:home", ("desk.intake",)),
        NavItem(_("Permit renewals"), "desk:reminders", ("registry.edit",)),
        NavItem(_("Public concerns"), "desk:concerns", ("desk.concern",)),
    )),
    NavGroup(_("Registration quality"), (
        NavItem(_("Campaigns and estimates"), "quality:campaigns", ("quality.view", "quality.design", "quality.visit")),
        NavItem(_("Reconciliation"), "quality:reconcile", ("quality.reconcile",)),
        NavItem(_("Verification worklist"), "quality:reconcile_worklist", ("quality.verify",)),
    )),
    NavGroup(_("Command centre"), (
        NavItem(_("Command screen"), "command:screen", ("command.view",)),
        NavItem(_("Scorecards"), "command:scorecard_index", ("command.view",)),
        NavItem(_("Projects"), "command:projects", ("command.view",)),
    )),
    NavItem(_("Audit trail"), "audit:trail", ("audit.view",)),
    NavItem(_("User management"), "accounts:users", ("accounts.manage",)),
)


def _entry(user, item: NavItem) -> dict | None:
    if not any(has_capability(user, c) for c in item.capabilities):
        return None
    try:
        url = reverse(item.url_name)
    except NoReverseMatch:
        return None
    return {"label": item.label, "url": url}


def navigation_for(user) -> list[dict]:
    """The user's entries: ``{"label", "url"}``, or ``{"label", "children": [entries]}`` for a
    group with two or more visible entries."""
    if getattr(user, "must_change_password", False):
        return []  # after a reset only the password change page opens (PasswordChangeRequiredMiddleware)
    out = []
    for item in NAV:
        if isinstance(item, NavGroup):
            children = [e for e in (_entry(user, i) for i in item.items) if e is not None]
            if len(children) == 1:
                out.append(children[0])
            elif children:
                out.append({"label": item.label, "children": children})
        else:
            entry = _entry(user, item)
            if entry is not None:
                out.append(entry)
    return out


def flat(entries: list[dict]) -> list[dict]:
    """Every link of ``navigation_for``'s entries, groups opened."""
    return [c for e in entries for c in e.get("children", [e])]


def navigation(request) -> dict:
    """Context processor: ``nav`` for the signed-in user (empty for anyone else). Lazy: computed
    only when a template reads it, from the memberships the request already loaded."""
    user = getattr(request, "user", None)
    nav = SimpleLazyObject(lambda: navigation_for(user))
    return {"nav": nav, "nav_links": SimpleLazyObject(lambda: flat(list(nav)))}
