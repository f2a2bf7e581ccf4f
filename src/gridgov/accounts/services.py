"""Every write about users, memberships, tokens and sign-in."""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from gridgov.accounts.capabilities import CAPABILITIES, ROLES
from gridgov.accounts.models import ApiToken, Membership, Role, User
from gridgov.accounts.scope import code_in_scope
from gridgov.core.audit import audit_write
from gridgov.core.codes import validate_prefix
from gridgov.core.errors import FieldError, Forbidden, NotFound
from gridgov.core.models import AuditAction, AuditOutcome

TOKEN_PREFIX = "ggv_"


@transaction.atomic
def roles_sync() -> list[Role]:
    """Create or update the seeded roles from ``capabilities.ROLES`` (idempotent)."""
    out = []
    for definition in ROLES:
        unknown = set(definition.capabilities) - set(CAPABILITIES)
        if unknown:
            raise ValueError(f"role {definition.code}: unknown capabilities {sorted(unknown)}")
        role, _ = Role.objects.update_or_create(
            code=definition.code,
            defaults={"name": definition.name, "name_en": definition.name_en,
                      "capabilities": sorted(definition.capabilities)},
        )
        out.append(role)
    return out


@transaction.atomic
def user_create(*, username: str, password: str, display_name: str = "", actor: User | None = None,
                is_staff: bool = False, is_superuser: bool = False, validate_password: bool = True) -> User:
    username = (username or "").strip()
    if not username:
        raise FieldError("username", "must not be empty", code="required")
    if len(username) > 150:
        raise FieldError("username", "at most 150 characters", code="too_long")
    if User.objects.filter(username=username).exists():
        raise FieldError("username", "%(username)s is taken", code="duplicate", params={"username": repr(username)})
    user = User(username=username, display_name=display_name, is_staff=is_staff, is_superuser=is_superuser)
    if validate_password:
        try:
            password_validation.validate_password(password, user)
        except DjangoValidationError as exc:
            raise FieldError("password", " ".join(exc.messages), code="weak_password") from None
    user.set_password(password)
    user.save()
    audit_write(AuditAction.CREATE, actor=actor, object_type="user", object_id=user.pk,
                changes={"username": username, "display_name": display_name, "is_staff": is_staff})
    return user


@transaction.atomic
def membership_grant(*, user: User, role_code: str, jurisdiction: str, scope: str = Membership.Scope.CAPTURE,
                     actor: User | None = None) -> Membership:
    """Give ``user`` a role at ``jurisdiction``. ``actor`` None means the system (CLI, demo)."""
    jurisdiction = validate_prefix(jurisdiction, field="jurisdiction")
    if scope not in Membership.Scope.values:
        raise FieldError("scope", "%(scope)s is not one of %(values)s",
                         params={"scope": repr(scope), "values": ", ".join(Membership.Scope.values)})
    try:
        role = Role.objects.get(code=role_code)
    except Role.DoesNotExist:
        raise FieldError("role", "unknown role %(role)s", code="unknown", params={"role": repr(role_code)}) from None
    if actor is not None and not code_in_scope(actor, jurisdiction, capability="accounts.manage",
                                               purpose="write"):
        raise Forbidden("jurisdiction: outside your capture scope for accounts.manage")
    membership, created = Membership.objects.get_or_create(
        user=user, role=role, jurisdiction=jurisdiction, scope=scope, defaults={"active": True})
    if not created and not membership.active:
        membership.active = True
        membership.save(update_fields=["active"])
    user._gridgov_memberships = None
    audit_write(AuditAction.CREATE, actor=actor, object_type="membership", object_id=membership.pk,
                jurisdiction=jurisdiction,
                changes={"user": user.username, "role": role_code, "scope": scope})
    return membership


def _lockout_window() -> timedelta:
    return timedelta(minutes=settings.GRIDGOV_LOCKOUT_MINUTES)


def user_authenticate(*, username: str, password: str) -> User | None:
    """Check a username and password with lockout. Returns the user or None (never says why).

    5 consecutive failures lock the account for 15 minutes, whatever the source address. A locked
    account fails even with the right password, and its API tokens are suspended while the lock
    lasts (``token_authenticate``). Unknown users cost the same hashing work.
    """
    username = (username or "").strip()
    user = User.objects.filter(username=username).first() if username else None
    now = timezone.now()
    if user is None:
        User().set_password(password or "")  # same work as a real check: no timing oracle
        audit_write(AuditAction.LOGIN_FAILED, actor_username=username, object_type="user",
                    outcome=AuditOutcome.FAILURE, reason="unknown user or wrong password")
        return None
    password_ok = user.check_password(password or "")
    if user.is_locked(now):
        audit_write(AuditAction.LOGIN_FAILED, actor_username=user.username, object_type="user",
                    object_id=user.pk, outcome=AuditOutcome.DENIED, reason="account locked")
        return None
    if password_ok and user.is_active:
        if user.failed_login_count or user.locked_until:
            User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
            user.failed_login_count, user.locked_until = 0, None
        return user
    # Count the failure atomically; the request that reaches the threshold sets the lock.
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
        user.refresh_from_db(fields=["failed_login_count", "locked_until"])
        audit_write(AuditAction.LOGIN_FAILED, actor_username=user.username, object_type="user",
                    object_id=user.pk, outcome=AuditOutcome.FAILURE,
                    reason="inactive account" if password_ok else "unknown user or wrong password")
        if user.failed_login_count >= settings.GRIDGOV_LOCKOUT_THRESHOLD:
            until = now + _lockout_window()
            User.objects.filter(pk=user.pk).update(locked_until=until, failed_login_count=0)
            _on_credentials_changed(User)  # suspends the user's API tokens in this process now
            audit_write(AuditAction.LOCKOUT, actor_username=user.username, object_type="user",
                        object_id=user.pk, outcome=AuditOutcome.DENIED,
                        reason=f"{settings.GRIDGOV_LOCKOUT_THRESHOLD} consecutive failures; "
                               f"locked until {until.isoformat()}")
    return None


def user_logged_in(*, user: User) -> None:
    audit_write(AuditAction.LOGIN, actor=user, object_type="user", object_id=user.pk)


def user_logged_out(*, user: User) -> None:
    audit_write(AuditAction.LOGOUT, actor=user, object_type="user", object_id=user.pk)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str, days: int | None = 90, actor: User | None = None
                 ) -> tuple[ApiToken, str]:
    """Create a token for ``user``; the raw secret is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "must not be empty", code="required")
    if days is not None and not (1 <= days <= 366):
        raise FieldError("days", "must be between 1 and 366", code="out_of_range")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:64], prefix=raw[len(TOKEN_PREFIX):len(TOKEN_PREFIX) + 8], digest=_digest(raw),
        expires_at=timezone.now() + timedelta(days=days) if days else None)
    audit_write(AuditAction.CREATE, actor=actor or user, object_type="api_token", object_id=token.pk,
                changes={"name": token.name, "prefix": token.prefix, "for": user.username})
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User, token_id: int) -> None:
    token = ApiToken.objects.filter(pk=token_id, user=actor, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound("token not found")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_write(AuditAction.DELETE, actor=actor, object_type="api_token", object_id=token.pk)


# Token authentication is cached per process for at most TOKEN_CACHE_SECONDS: the token row, its
# user and the user's active memberships (with roles) are read once per token per window instead of
# on every API call. Revoking or expiring a token, deactivating a user, or changing a membership or
# a role therefore takes effect in every process within TOKEN_CACHE_SECONDS; in the process that
# makes the change through the ORM (services, admin) at once (post_save/post_delete below clear the
# cache, and again after the commit). An expiry time is checked on every call.
TOKEN_CACHE_SECONDS = 2.0
_TOKEN_CACHE_MAX = 10_000


class _TokenCache:
    def __init__(self) -> None:
        self.entries: dict[str, tuple[float, datetime | None, User, list[Membership]]] = {}
        self.generation = 0  # bumped by every invalidation; a fill started before one is dropped
        self.lock = threading.Lock()


_token_cache = _TokenCache()


def token_cache_clear() -> None:
    with _token_cache.lock:
        _token_cache.entries.clear()
        _token_cache.generation += 1


def _on_credentials_changed(sender, **kwargs) -> None:
    token_cache_clear()
    # A thread may re-read the old rows before the writer commits: drop them again after.
    transaction.on_commit(token_cache_clear)


for _model in (User, ApiToken, Membership, Role):
    post_save.connect(_on_credentials_changed, sender=_model, dispatch_uid=f"accounts.token_cache.save.{_model.__name__}")
    post_delete.connect(_on_credentials_changed, sender=_model,
                        dispatch_uid=f"accounts.token_cache.delete.{_model.__name__}")


def _cached_user(user: User, memberships: list[Membership]) -> User:
    """A private copy for one request (the cached instance is never handed out)."""
    mine = copy.copy(user)
    mine._gridgov_memberships = list(memberships)
    return mine


def token_authenticate(raw: str) -> User | None:
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 128:
        return None
    digest = _digest(raw)
    now = timezone.now()
    hit = _token_cache.entries.get(digest)
    if hit is not None:
        fetched_at, expires_at, user, memberships = hit
        if time.monotonic() - fetched_at < TOKEN_CACHE_SECONDS and (expires_at is None or expires_at > now) \
                and not user.is_locked(now) and not user.must_change_password:
            return _cached_user(user, memberships)
    generation = _token_cache.generation
    fetched_at = time.monotonic()
    token = ApiToken.objects.select_related("user").filter(digest=digest).first()
    # a locked account's tokens are suspended while the lock lasts (the lockout of user_authenticate),
    # and so are those of an account whose password an administrator reset, until the user changes it
    if token is None or not token.is_usable(now) or not token.user.is_active or token.user.is_locked(now) \
            or token.user.must_change_password:
        _token_cache.entries.pop(digest, None)
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user = token.user
    memberships = user.active_memberships()
    with _token_cache.lock:
        if _token_cache.generation == generation:
            if len(_token_cache.entries) >= _TOKEN_CACHE_MAX:
                _token_cache.entries.clear()
            _token_cache.entries[digest] = (fetched_at, token.expires_at, _cached_user(user, memberships),
                                            memberships)
    return user
