"""Who may see what in care: capability per programme on top of jurisdiction (no Django models).

Used by selectors and services: an unknown programme is absent (404); a user without the
programme's capability gets ``Forbidden`` (403); rows outside the user's prefixes are absent (404).
"""

from __future__ import annotations

from django.db.models import Q

from gridgov.accounts.models import User
from gridgov.accounts.scope import (
    Purpose,
    code_in_scope,
    has_capability,
    minimal_prefixes,
    require_capability,
    scope_q,
    user_prefixes,
)
from gridgov.care import codes
from gridgov.core.errors import Forbidden, NotFound


def programme(code: str) -> codes.Programme:
    if code not in codes.PROGRAMME_CODES:
        raise NotFound("no such programme")
    return codes.programme(code)


def capability(code: str) -> str:
    return programme(code).capability


def require(user: User, code: str) -> codes.Programme:
    prog = programme(code)
    require_capability(user, prog.capability)
    return prog


def held_programmes(user: User) -> list[str]:
    return [p for p in codes.PROGRAMME_CODES if has_capability(user, codes.programme(p).capability)]


def require_any(user: User) -> list[str]:
    held = held_programmes(user)
    if not held:
        raise Forbidden("missing capability care.*", code="missing_capability")
    return held


def prefixes(user: User, code: str, *, purpose: Purpose = "read") -> list[str]:
    return user_prefixes(user, programme(code).capability, purpose=purpose)


def q_for(user: User, code: str, *, purpose: Purpose = "read", field: str = "grid_code") -> Q:
    return scope_q(prefixes(user, code, purpose=purpose), field)


def q_any(user: User, programmes: list[str], *, programme_field: str = "programme", field: str = "grid_code",
          purpose: Purpose = "read") -> Q:
    """Rows of any of ``programmes`` each within that programme's prefixes."""
    q = Q(pk__in=[])
    for p in programmes:
        q |= Q(**{programme_field: p}) & q_for(user, p, purpose=purpose, field=field)
    return q


def in_scope(user: User, code: str, grid_code: str, *, purpose: Purpose = "read") -> bool:
    return code_in_scope(user, grid_code, capability=programme(code).capability, purpose=purpose)


# --- statistics: figures without files --------------------------------------------------------------
# The street and district 综治中心 (roles street_centre / district_centre) hold no care capability,
# so they never see a name; they see the care statistics of their area through ``command.view``
# (the command-centre capability). A programme's own capability also opens its statistics.

STATISTICS_CAPABILITY = "command.view"


def statistics_prefixes(user: User, code: str) -> list[str]:
    """Where ``user`` may count rows of programme ``code``: the programme's capability prefixes plus
    the command-centre prefixes."""
    return minimal_prefixes(user_prefixes(user, programme(code).capability)
                            + user_prefixes(user, STATISTICS_CAPABILITY))


def require_statistics(user: User) -> list[str]:
    """The programmes whose statistics ``user`` may read (all six for a command centre); 403 if none."""
    if has_capability(user, STATISTICS_CAPABILITY):
        return list(codes.PROGRAMME_CODES)
    return require_any(user)


def statistics_q(user: User, code: str, *, field: str = "grid_code") -> Q:
    return scope_q(statistics_prefixes(user, code), field)


def q_any_statistics(user: User, programmes: list[str], programme_field: str = "programme",
                     field: str = "grid_code") -> Q:
    """Rows of any of ``programmes``, each within that programme's statistics prefixes."""
    q = Q(pk__in=[])
    for p in programmes:
        q |= Q(**{programme_field: p}) & statistics_q(user, p, field=field)
    return q


def figures_only(user: User) -> bool:
    """A command centre without any care capability: statistics, never files."""
    return not held_programmes(user) and has_capability(user, STATISTICS_CAPABILITY)
