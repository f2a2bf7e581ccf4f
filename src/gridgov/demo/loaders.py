"""Loads the synthetic demo: roles, one demo user per role, and each module's demo data.

Every module appends its loader to ``MODULE_LOADERS``; ``make demo`` therefore shows all that exists.
A loader takes (scale, seed, progress) and is skipped when the same scale and seed are loaded.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from gridgov.accounts import services as account_services
from gridgov.accounts import twofactor
from gridgov.accounts.capabilities import ROLES
from gridgov.accounts.models import User
from gridgov.core.models import SystemState
from gridgov.core.progress import Progress

DEMO_PASSWORD = "gridgov-demo-2026"
# The authenticator secret of every demo user whose role needs two-factor sign-in (README): add it
# to an authenticator app by hand (base32, time-based, 6 digits, 30 s). Demo only: real users
# enrol with a random secret of their own.
DEMO_TOTP_SECRET = "GRIDGOVDEMOTOTPSECRETGRIDGOVDEMO"
DEMO_USERS = {
    "city_admin": "admin", "district_centre": "district", "street_centre": "street",
    "community_staff": "community", "grid_worker": "grid", "department_handler": "dept",
    "police_officer": "police", "city_management": "chengguan", "social_worker": "social", "auditor": "auditor",
    "desk_officer": "desk",
}

# (name, loader, reset): import paths of callable(scale, seed, progress) -> {role: [(prefix, scope)]}
# and of callable() that deletes the module's demo data (run in reverse order before a reload).
MODULE_LOADERS: list[tuple[str, str, str]] = [
    ("geo", "gridgov.demo.geo:load_demo_city", "gridgov.demo.geo:reset_demo_city"),
    ("registry", "gridgov.demo.registry:load", "gridgov.demo.registry:reset"),
    ("care", "gridgov.demo.care:load", "gridgov.demo.care:reset"),
    ("cases", "gridgov.demo.cases:load", "gridgov.demo.cases:reset"),
    ("safety", "gridgov.demo.safety:load", "gridgov.demo.safety:reset"),
    ("concern", "gridgov.demo.concern:load", "gridgov.demo.concern:reset"),
    ("campaigns", "gridgov.demo.campaigns:load", "gridgov.demo.campaigns:reset"),
    ("projects", "gridgov.demo.projects:load", "gridgov.demo.projects:reset"),
    ("prevention", "gridgov.demo.prevention:load", "gridgov.demo.prevention:reset"),
    ("allocation", "gridgov.demo.allocation:load", "gridgov.demo.allocation:reset"),
    ("command_responsibility", "gridgov.demo.command_responsibility:load",
     "gridgov.demo.command_responsibility:reset"),
    ("desk", "gridgov.demo.desk:load", "gridgov.demo.desk:reset"),
    ("reconcile", "gridgov.demo.reconcile:load", "gridgov.demo.reconcile:reset"),
    ("quality", "gridgov.demo.quality:load", "gridgov.demo.quality:reset"),
]


#: The last completed demo load: {"params": {"scale", "seed"}, "loaded_at": ISO time}.
RUN_KEY = "demo:run"

#: Wall-clock seconds of `gridgov demo --scale X --no-serve` on an empty SQLite database, 2 shared
#: cores (README gives the figures; small and city: benchmarks/bench_demo_city.py at load average
#: 1-1.5, docs/benchmarks.md "The demo city, fifth pass": 66.0 s and 342.6 s). Said at the start of `make demo`.
MEASURED_SECONDS = {"tiny": 29, "small": 66, "city": 345}
ESTIMATED: frozenset[str] = frozenset()

#: Audit actions that change data; any of them after the demo load (except the worker's own
#: scheduled jobs) means someone entered data by hand.
WRITE_ACTIONS = ("CREATE", "UPDATE", "DELETE", "IMPORT", "TRANSITION")


class HandEnteredData(Exception):
    """A reload would wipe data entered after the last demo load; ``counts`` says what was found."""

    def __init__(self, counts: dict[str, int], loaded_at: datetime):
        self.counts = counts
        self.loaded_at = loaded_at
        super().__init__(f"data entered after the demo load of {loaded_at.isoformat()}: {counts}")


def duration_hint(scale: str) -> str:
    """'约 20 秒' / '约 4 分钟': the measured time of ``scale``, in words."""
    seconds = MEASURED_SECONDS[scale]
    return f"约 {seconds} 秒" if seconds < 90 else f"约 {round(seconds / 60)} 分钟"


def last_run() -> dict | None:
    state = SystemState.objects.filter(key=RUN_KEY).first()
    return state.value if state is not None else None


def _loaded_at() -> datetime | None:
    """When the last demo load finished (a load by an older version without its run record: the
    last module state it wrote)."""
    run = last_run()
    if run is not None and run.get("loaded_at"):
        return datetime.fromisoformat(run["loaded_at"])
    modules = SystemState.objects.filter(key__in=[f"demo:{name}" for name, _, _ in MODULE_LOADERS])
    return max((s.updated_at for s in modules), default=None)


def hand_entered(since: datetime) -> dict[str, int]:
    """What was written after ``since`` other than by the demo loader or the worker's periodic jobs:
    audit rows of data-changing actions (every service writes one) and cases reported later
    (an anonymous report has an audit row too, this is a second, independent look)."""
    from gridgov.cases.models import Case
    from gridgov.core.models import AuditEvent, AuditOutcome

    writes = (AuditEvent.objects.filter(at__gt=since, action__in=WRITE_ACTIONS, outcome=AuditOutcome.SUCCESS)
              .exclude(channel="worker"))
    counts = {"audit_writes": writes.count(), "cases": Case.objects.filter(reported_at__gt=since).count()}
    return {k: v for k, v in counts.items() if v}


def capture_places(username: str) -> list[tuple[str, str]]:
    """(code, name) of the places a demo user captures in (grids by their grid name)."""
    from gridgov.geo.models import Division, Grid

    user = User.objects.filter(username=username).first()
    if user is None:
        return []
    out = []
    for m in user.active_memberships():
        if m.scope != "capture":
            continue
        grid = Grid.objects.filter(code=m.jurisdiction).first() if len(m.jurisdiction) == 15 else None
        division = None if grid else Division.objects.filter(prefix=m.jurisdiction).first()
        out.append((m.jurisdiction, grid.name if grid else division.name if division else ""))
    return out


def _peak_mb() -> float:
    """The process's peak resident set size so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


#: SQLite page cache of the loading connection (KiB): each module loads in one transaction, and
#: with the default 2 MB cache the B-trees of millions of rows spill the same pages to the WAL
#: again and again (register, small scale: 3.7 s of system time, 0.4 s with this cache)
DEMO_CACHE_KIB = 256 * 1024


def _large_page_cache() -> None:
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size=-{DEMO_CACHE_KIB}")


def _resolve(path: str) -> Callable:
    module, _, attr = path.partition(":")
    mod = __import__(module, fromlist=[attr])
    return getattr(mod, attr)


def reset_all(*, users: bool = False) -> None:
    """Remove every module's demo data, last module first (and, with ``users``, the demo users
    with their memberships and tokens). Audit rows stay: they are append-only."""
    for name, _, reset in reversed(MODULE_LOADERS):
        print(f"• {name}: removing the previous demo data …", flush=True)
        with transaction.atomic():
            _resolve(reset)()
            SystemState.objects.filter(key=f"demo:{name}").delete()
    SystemState.objects.filter(key=RUN_KEY).delete()
    if users:
        User.objects.filter(username__in=DEMO_USERS.values()).delete()


@transaction.atomic
def demo_users(jurisdictions: dict[str, list]) -> list[tuple[str, str, str, str]]:
    """One user per seeded role at its demo jurisdiction; module loaders may name other places as
    a list of (code prefix, scope) per role. Returns (username, role, jurisdictions, password)."""
    account_services.roles_sync()
    out = []
    for role in ROLES:
        username = DEMO_USERS[role.code]
        places = [tuple(p) for p in jurisdictions.get(role.code, [(role.demo_jurisdiction, "capture")])]
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.user_create(username=username, password=DEMO_PASSWORD,
                                                display_name=f"演示{role.name}", validate_password=False,
                                                is_staff=role.code == "city_admin")
        for prefix, scope in places:
            account_services.membership_grant(user=user, role_code=role.code, jurisdiction=prefix, scope=scope)
        user._gridgov_memberships = None
        if twofactor.requires_two_factor(user):
            twofactor.totp_enrol_with_secret(user=user, secret_base32_text=DEMO_TOTP_SECRET)
        out.append((username, role.code, " ".join(f"{p}({s})" for p, s in places), DEMO_PASSWORD))
    return out


def load_all(*, scale: str = "small", seed: int = 1, force: bool = False) -> list[tuple[str, str, str, str]]:
    """Load every module's demo data unless the same scale and seed are loaded already. Another
    scale or seed (or ``force``) first resets all modules' demo data, last module first; without
    ``force`` a reset that would wipe data entered after the last demo load raises
    :class:`HandEnteredData` before anything is written."""
    progress = Progress()
    wanted = {"scale": scale, "seed": seed}
    states = {s.key: s.value for s in SystemState.objects.filter(key__startswith="demo:")}
    stale = force or any(states.get(f"demo:{name}", {}).get("params") not in (None, wanted)
                         for name, _, _ in MODULE_LOADERS)
    if stale and not force:
        loaded_at = _loaded_at()
        if loaded_at is not None:
            found = hand_entered(loaded_at)
            if found:
                raise HandEnteredData(found, loaded_at)
    account_services.roles_sync()
    if stale:
        reset_all()
        states = {}
    jurisdictions: dict[str, list] = {}
    _large_page_cache()
    for name, load, _ in MODULE_LOADERS:
        key = f"demo:{name}"
        state = states.get(key)
        if state is not None and state.get("params") == wanted:
            print(f"• {name}: already loaded ({scale}, seed {seed})", flush=True)
            jurisdictions.update(state.get("jurisdictions", {}))
            continue
        print(f"• {name}: generating ({scale}, seed {seed}) …", flush=True)
        wall, cpu = time.monotonic(), time.process_time()
        with transaction.atomic():
            result = _resolve(load)(scale=scale, seed=seed, progress=progress) or {}
            SystemState.objects.update_or_create(key=key, defaults={"value": {"params": wanted,
                                                                              "jurisdictions": result}})
        jurisdictions.update(result)
        print(f"  {name}: {time.monotonic() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU, "
              f"peak RSS so far {_peak_mb():.0f} MB", flush=True)
    logins = demo_users(jurisdictions)
    # Modules that link demo users to their own data (e.g. department membership) do it now.
    for _name, load, _ in MODULE_LOADERS:
        module = __import__(load.partition(":")[0], fromlist=["_"])
        hook = getattr(module, "attach_demo_users", None)
        if hook is not None:
            with transaction.atomic():
                hook()
    SystemState.objects.update_or_create(key=RUN_KEY, defaults={"value": {
        "params": wanted, "loaded_at": timezone.now().isoformat()}})
    return logins
