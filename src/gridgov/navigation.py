"""The main navigation. Each module adds its entry here when it exists; entries show only to users
holding the capability. The context processor ``navigation`` puts it into every template as ``nav``."""

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


# An entry appears once its URL name exists (the module is installed) and the user holds one of
# its capabilities.
NAV: tuple[NavItem, ...] = (
    NavItem(_("Map"), "geo:map", ("geo.view",)),
    NavItem(_("Residents and houses"), "registry:persons", ("registry.view",)),
    NavItem(_("Events"), "cases:home", ("cases.view",)),
    NavItem(_("Public safety"), "safety:situation", ("safety.view",)),
    # command.view: the 综治中心 see the care figures of their area (no files; care.views redirects them)
    NavItem(_("Special-population care"), "care:caseload",
            (*(c for c in CAPABILITIES if c.startswith("care.")), "command.view")),
    NavItem(_("Registration quality"), "quality:campaigns", ("quality.view", "quality.design", "quality.visit")),
    NavItem(_("Audit trail"), "audit:trail", ("audit.view",)),
    NavItem(_("User management"), "accounts:users", ("accounts.manage",)),
)


def navigation_for(user) -> list[dict]:
    if getattr(user, "must_change_password", False):
        return []  # after a reset only the password change page opens (PasswordChangeRequiredMiddleware)
    out = []
    for item in NAV:
        if not any(has_capability(user, c) for c in item.capabilities):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"label": item.label, "url": url})
    return out


def navigation(request) -> dict:
    """Context processor: ``nav`` for the signed-in user (empty for anyone else). Lazy: computed
    only when a template reads it, from the memberships the request already loaded."""
    user = getattr(request, "user", None)
    return {"nav": SimpleLazyObject(lambda: navigation_for(user))}
