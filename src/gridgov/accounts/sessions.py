"""Sign-in sessions listed per user ("我的登录会话") and ended on request ("退出所有其他会话").

Django's session store cannot list the sessions of a user, so each sign-in writes a ``UserSession``
row (``session_started``, on Django's ``user_logged_in`` signal: bookkeeping only) and the session
middleware touches its ``last_seen_at`` at most once a minute (``session_touch``, from
``SessionLimitsMiddleware``, when it refreshes the session's idle expiry). Ending a session deletes
it from Django's session store (``SESSION_ENGINE``'s ``SessionStore``, whatever the backend) and
its row. Rows of sessions that ended by themselves (idle or absolute limit, sign-out) are removed
at sign-out and by the periodic ``sessions_prune`` (accounts/tasks.py).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User, UserSession
from gridgov.core.audit import audit_write
from gridgov.core.errors import NotFound
from gridgov.core.models import AuditAction

#: the object type of the audit rows of this module (accounts.labels names it)
AUDIT_OBJECT = "user.session"
USER_AGENT_MAX = 300


def _store(session_key: str | None = None):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


def _live_since(now: datetime) -> tuple[datetime, datetime]:
    """(last seen after, signed in after): older rows belong to sessions past the idle or the
    absolute limit (the idle limit plus the touch interval: last_seen_at lags by up to that)."""
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE + settings.GRIDGOV_SESSION_TOUCH_SECONDS)
    absolute = timedelta(seconds=settings.GRIDGOV_SESSION_ABSOLUTE_SECONDS)
    return now - idle, now - absolute


# (pattern, name) in order: Edge and Opera also say Chrome, Chrome also says Safari
_BROWSERS = ((r"MicroMessenger/([\d]+)", "WeChat"), (r"Edg(?:e|A|iOS)?/([\d]+)", "Edge"),
             (r"OPR/([\d]+)", "Opera"), (r"Firefox/([\d]+)", "Firefox"),
             (r"(?:Headless)?Chrom(?:e|ium)/([\d]+)", "Chrome"), (r"Version/([\d]+).*Safari/", "Safari"))
_SYSTEMS = ((r"HarmonyOS", "HarmonyOS"), (r"Android", "Android"), (r"iPhone|iPad|iPod", "iOS"),
            (r"Windows", "Windows"),
            (r"Mac OS X|Macintosh", "macOS"), (r"Linux", "Linux"))


def user_agent_label(agent: str) -> str:
    """A short name of the browser and system a session came from ("Chrome 120 · Windows"), or ""
    when the user agent names neither (the page then says 未知设备)."""
    browser = next((f"{name} {m.group(1)}" for pattern, name in _BROWSERS
                    if (m := re.search(pattern, agent or ""))), "")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, agent or "")), "")
    return " · ".join(p for p in (browser, system) if p)


def _client(request) -> tuple[str | None, str]:
    ip = request.META.get("REMOTE_ADDR") or None
    agent = (request.META.get("HTTP_USER_AGENT") or "")[:USER_AGENT_MAX]
    return ip, agent


def session_started(*, request, user: User) -> None:
    """Record the session ``login()`` just (re)keyed. Called on every sign-in."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if session.session_key is None:
        session.save()
    ip, agent = _client(request)
    now = timezone.now()
    UserSession.objects.update_or_create(session_key=session.session_key, defaults={
        "user": user, "created_at": now, "last_seen_at": now, "ip": ip, "user_agent": agent})


def session_touch(*, request) -> None:
    """The session was used: move its ``last_seen_at`` (the caller does this at most once a
    minute). A session signed in before rows were kept gets its row now."""
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if session is None or session.session_key is None or user is None or not user.is_authenticated:
        return
    now = timezone.now()
    ip, agent = _client(request)
    if not UserSession.objects.filter(session_key=session.session_key, user_id=user.pk).update(
            last_seen_at=now, ip=ip):
        UserSession.objects.get_or_create(session_key=session.session_key, defaults={
            "user_id": user.pk, "created_at": now, "last_seen_at": now, "ip": ip, "user_agent": agent})


def session_rekeyed(*, old_key: str | None, request) -> None:
    """The current session got a new key (``update_session_auth_hash`` after a password change)."""
    new_key = request.session.session_key
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def session_forget(*, session_key: str | None) -> None:
    """The session ended by sign-out: its row goes."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def session_list(user: User, *, now: datetime | None = None) -> list[UserSession]:
    """The user's live sessions, most recently used first."""
    seen_after, started_after = _live_since(now or timezone.now())
    return list(UserSession.objects.filter(user_id=user.pk, last_seen_at__gte=seen_after,
                                           created_at__gte=started_after).order_by("-last_seen_at", "-id"))


def sessions_end(*, user: User, except_key: str | None = None, session_id: int | None = None) -> int:
    """End the user's sessions (all, all but ``except_key``, or only row ``session_id``): deleted
    from the session store and from the rows. Returns how many live ones ended. Not audited: the
    callers audit (they know why)."""
    rows = UserSession.objects.filter(user_id=user.pk)
    if except_key:
        rows = rows.exclude(session_key=except_key)
    if session_id is not None:
        rows = rows.filter(pk=session_id)
    seen_after, started_after = _live_since(timezone.now())
    ended = 0
    for row in list(rows):
        store = _store(row.session_key)
        if row.last_seen_at >= seen_after and row.created_at >= started_after:
            ended += 1
        store.delete(row.session_key)
        row.delete()
    return ended


def _audit_jurisdiction(user: User) -> str:
    membership = user.primary_membership()
    return membership.jurisdiction if membership is not None else ""


@transaction.atomic
def sessions_end_other(*, user: User, current_key: str | None) -> int:
    """"Sign out everywhere else": every session of ``user`` but the current one ends."""
    ended = sessions_end(user=user, except_key=current_key)
    audit_write(AuditAction.LOGOUT, actor=user, object_type=AUDIT_OBJECT, object_id=user.pk,
                reason="the user signed out everywhere else", changes={"ended": ended})
    return ended


@transaction.atomic
def session_end_own(*, user: User, session_id: int, current_key: str | None) -> None:
    """The user ends one of their other sessions."""
    row = UserSession.objects.filter(user_id=user.pk, pk=session_id).exclude(session_key=current_key or "").first()
    if row is None:
        raise NotFound("session not found")
    sessions_end(user=user, session_id=row.pk)
    audit_write(AuditAction.LOGOUT, actor=user, object_type=AUDIT_OBJECT, object_id=user.pk,
                reason="the user ended one of their sessions", changes={"ended": 1, "row": row.pk})


@transaction.atomic
def sessions_end_by_admin(*, actor: User, user_id: int) -> int:
    """An administrator (``accounts.manage`` over the user) ends all of the user's sessions."""
    from gridgov.accounts.passwords import managed_user_get

    user = managed_user_get(actor, user_id)
    ended = sessions_end(user=user)
    audit_write(AuditAction.LOGOUT, actor=actor, object_type=AUDIT_OBJECT, object_id=user.pk,
                jurisdiction=_audit_jurisdiction(user) or _audit_jurisdiction(actor),
                reason="an administrator ended the user's sessions",
                changes={"user": user.username, "ended": ended})
    return ended


def sessions_prune(*, now: datetime | None = None) -> int:
    """Delete the rows of sessions past the idle or absolute limit (their store entries are
    expired already; Django's ``clearsessions`` removes those). Returns the rows deleted."""
    seen_after, started_after = _live_since(now or timezone.now())
    deleted, _ = UserSession.objects.filter(last_seen_at__lt=seen_after).delete()
    more, _ = UserSession.objects.filter(created_at__lt=started_after).delete()
    return deleted + more


def on_logged_in(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver (bookkeeping only)."""
    if request is not None and isinstance(user, User):
        session_started(request=request, user=user)


def on_logged_out(sender, request, user, **kwargs) -> None:
    """``user_logged_out`` receiver (bookkeeping only)."""
    session = getattr(request, "session", None) if request is not None else None
    if session is not None:
        session_forget(session_key=session.session_key)
