"""Loads the synthetic demo: roles, one demo user per role, and each module's demo data.

Every module appends its loader to ``MODULE_LOADERS``; ``make demo`` therefore shows all that exists.
A loader takes (scale, seed, progress) and is skipped when the same scale and seed are loaded.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from gridgov.accounts import services as account_services
from gridgov.accounts.capabilities import ROLES
from gridgov.accounts.models import User
from gridgov.core.models import SystemState
from gridgov.core.progress import Progress

DEMO_PASSWORD = "gridgov-demo-2026"
DEMO_USERS = {
    "city_admin": "admin", "district_centre": "district", "street_centre": "street",
    "community_staff": "community", "grid_worker": "grid", "department_handler": "dept",
    "police_officer": "police", "social_worker": "social", "auditor": "auditor",
}

# (name, import path of a callable(scale, seed, progress) -> dict of jurisdictions for demo users)
MODULE_LOADERS: list[tuple[str, str]] = []


def _resolve(path: str) -> Callable:
    module, _, attr = path.partition(":")
    mod = __import__(module, fromlist=[attr])
    return getattr(mod, attr)


@transaction.atomic
def demo_users(jurisdictions: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """One user per seeded role at its demo jurisdiction (overridable by module loaders)."""
    out = []
    for role in ROLES:
        username = DEMO_USERS[role.code]
        jurisdiction = jurisdictions.get(role.code, role.demo_jurisdiction)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.user_create(username=username, password=DEMO_PASSWORD,
                                                display_name=f"演示{role.name}", validate_password=False,
                                                is_staff=role.code == "city_admin")
        account_services.membership_grant(user=user, role_code=role.code, jurisdiction=jurisdiction)
        out.append((username, role.code, jurisdiction, DEMO_PASSWORD))
    return out


def load_all(*, scale: str = "small", seed: int = 1, force: bool = False) -> list[tuple[str, str, str, str]]:
    account_services.roles_sync()
    progress = Progress()
    jurisdictions: dict[str, str] = {}
    for name, path in MODULE_LOADERS:
        key = f"demo:{name}"
        state = SystemState.objects.filter(key=key).first()
        wanted = {"scale": scale, "seed": seed}
        if state is not None and state.value.get("params") == wanted and not force:
            print(f"• {name}: already loaded ({scale}, seed {seed})", flush=True)
            jurisdictions.update(state.value.get("jurisdictions", {}))
            continue
        print(f"• {name}: generating ({scale}, seed {seed}) …", flush=True)
        result = _resolve(path)(scale=scale, seed=seed, progress=progress) or {}
        jurisdictions.update(result)
        SystemState.objects.update_or_create(key=key, defaults={"value": {"params": wanted,
                                                                          "jurisdictions": result}})
    return demo_users(jurisdictions)
