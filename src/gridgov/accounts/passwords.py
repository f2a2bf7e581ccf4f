"""Passwords: the history validator of the policy, the user's own change and an administrator's reset.

The policy is ``settings.AUTH_PASSWORD_VALIDATORS`` (Django's validators: at least 12 characters,
not a common password, not like the user's name, not only digits; and ``PasswordHistoryValidator``:
none of the last 5). Every write here is a service (keyword-only, atomic, audited with no password
material: ``audit_write`` redacts keys naming a password anyway, and none is passed).
"""

from __future__ import annotations

import secrets

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext

from gridgov.accounts.models import Membership, PasswordHistory, User
from gridgov.accounts.scope import require_capability, scope_q, user_prefixes
from gridgov.core.audit import audit_write
from gridgov.core.errors import FieldError, Forbidden, NotFound
from gridgov.core.models import AuditAction, AuditOutcome

#: the object type of the audit rows of this module (accounts.labels names it)
AUDIT_OBJECT = "user.password"


class PasswordHistoryValidator:
    """Refuses the user's last ``count`` passwords (the current one included).

    The hashes come from ``PasswordHistory``, which Django's ``password_changed`` hook of this
    validator fills whenever a password is set and saved (``User.set_password`` + ``save``: the
    services here, ``createsuperuser``, the admin), and from ``User.password`` itself (a user whose
    password predates the history). Each is checked with Django's hashers."""

    def __init__(self, count: int = 5):
        if count < 1:
            raise ValueError("count must be at least 1")
        self.count = count

    def _recent_hashes(self, user) -> list[str]:
        if user is None or getattr(user, "pk", None) is None:
            return []
        hashes = list(PasswordHistory.objects.filter(user_id=user.pk)
                      .order_by("-created_at", "-id").values_list("password", flat=True)[:self.count])
        stored = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
        if stored and stored not in hashes:
            hashes = [stored, *hashes][:self.count]
        return hashes

    def validate(self, password: str, user=None) -> None:
        for encoded in self._recent_hashes(user):
            if check_password(password, encoded):
                raise ValidationError(self._message(), code="password_reused", params={"count": self.count})

    def password_changed(self, password: str, user=None) -> None:
        """Django calls this after a new password is saved: ``user.password`` is its hash."""
        if user is None or getattr(user, "pk", None) is None or not user.password:
            return
        PasswordHistory.objects.create(user_id=user.pk, password=user.password)
        stale = list(PasswordHistory.objects.filter(user_id=user.pk).order_by("-created_at", "-id")
                     .values_list("pk", flat=True)[self.count:])
        if stale:
            PasswordHistory.objects.filter(pk__in=stale).delete()

    def _message(self) -> str:
        return ngettext("This password was used recently: choose one that is not among your last %(count)d.",
                        "This password was used recently: choose one that is not among your last %(count)d.",
                        self.count) % {"count": self.count}

    def get_help_text(self) -> str:
        return ngettext("Your password cannot be one of your last %(count)d passwords.",
                        "Your password cannot be one of your last %(count)d passwords.",
                        self.count) % {"count": self.count}


def policy_errors(password: str, user: User) -> list[str]:
    """The policy's messages (in the active language) for ``password`` as ``user``'s; [] if it passes."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def policy_help() -> list[str]:
    return list(password_validation.password_validators_help_texts())


# 56 characters without look-alikes (0/O, 1/l/I): a temporary password read out over the phone
_TEMP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def temporary_password(length: int = 16) -> str:
    """A random password for a reset (about 93 bits at 16 characters): letters and digits without
    look-alikes, at least one of each kind, so it passes the policy."""
    while True:
        candidate = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(length))
        if (any(c.isdigit() for c in candidate) and any(c.islower() for c in candidate)
                and any(c.isupper() for c in candidate)):
            return candidate


def _jurisdiction_of(user: User) -> str:
    membership = user.primary_membership()
    return membership.jurisdiction if membership is not None else ""


def _set_password(user: User, password: str, *, must_change: bool) -> None:
    user.set_password(password)
    user.must_change_password = must_change
    user.password_changed_at = timezone.now()
    # save() runs the validators' password_changed hooks (the history) after the row is written
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])


def password_change(*, user: User, old_password: str, new_password: str, keep_session_key: str | None = None
                    ) -> None:
    """The signed-in ``user`` changes their own password. The current one must be given (a wrong
    one is audited as a failure, which stays although the change is refused); the new one must
    pass the policy. Every other session of the user ends (the one ``keep_session_key`` names
    stays: the caller re-keys it with ``update_session_auth_hash``)."""
    if not user.check_password(old_password or ""):
        with transaction.atomic():
            audit_write(AuditAction.UPDATE, actor=user, object_type=AUDIT_OBJECT, object_id=user.pk,
                        outcome=AuditOutcome.FAILURE, reason="current password wrong")
        raise FieldError("old_password", "The current password is wrong.", code="wrong_password")
    _password_change(user=user, old_password=old_password, new_password=new_password,
                     keep_session_key=keep_session_key)


@transaction.atomic
def _password_change(*, user: User, old_password: str, new_password: str, keep_session_key: str | None) -> None:
    from gridgov.accounts import sessions

    if new_password == old_password:
        raise FieldError("new_password1", "The new password must differ from the current one.",
                         code="password_reused")
    errors = policy_errors(new_password, user)
    if errors:
        raise FieldError("new_password1", " ".join(errors), code="weak_password")
    was_forced = user.must_change_password
    _set_password(user, new_password, must_change=False)
    ended = sessions.sessions_end(user=user, except_key=keep_session_key)
    audit_write(AuditAction.UPDATE, actor=user, object_type=AUDIT_OBJECT, object_id=user.pk,
                reason="changed by the user" + (" after a reset" if was_forced else ""),
                changes={"by": "self", "other_sign_ins_ended": ended})


def managed_users(actor: User) -> Q:
    """A filter on ``User``: the users ``actor`` administers (``accounts.manage``, capture scope):
    users with at least one active membership and all of them inside the actor's prefixes; users
    with no active membership only for an administrator at province level (2-digit prefix). Never
    the actor. Forbidden without the capability."""
    require_capability(actor, "accounts.manage")
    prefixes = user_prefixes(actor, "accounts.manage", purpose="write")
    active = Membership.objects.filter(active=True)
    inside = active.filter(scope_q(prefixes, "jurisdiction")).values("user_id")
    outside = active.exclude(scope_q(prefixes, "jurisdiction")).values("user_id")
    q = Q(pk__in=inside) & ~Q(pk__in=outside)
    if any(len(p) <= 2 for p in prefixes):
        q |= ~Q(pk__in=active.values("user_id"))
    return q & ~Q(pk=actor.pk)


def managed_user_get(actor: User, user_id: int) -> User:
    """The user ``user_id`` if ``actor`` administers them, else NotFound (whether or not it exists)."""
    user = User.objects.filter(managed_users(actor), pk=user_id).first()
    if user is None:
        raise NotFound("user not found")
    return user


@transaction.atomic
def password_reset(*, actor: User, user_id: int, new_password: str | None = None) -> str:
    """An administrator (``accounts.manage`` over every jurisdiction of the user) gives the user a
    temporary password; the user must change it at their next sign-in, and all their sessions end.
    Returns the temporary password (shown once to the administrator, stored only as a hash)."""
    from gridgov.accounts import sessions

    user = managed_user_get(actor, user_id)
    if user.is_superuser and not actor.is_superuser:
        raise Forbidden("only a superuser may reset a superuser's password")
    password = new_password if new_password is not None else temporary_password()
    errors = policy_errors(password, user)
    if errors:
        raise FieldError("new_password", " ".join(errors), code="weak_password")
    _set_password(user, password, must_change=True)
    ended = sessions.sessions_end(user=user)
    audit_write(AuditAction.UPDATE, actor=actor, object_type=AUDIT_OBJECT, object_id=user.pk,
                jurisdiction=_jurisdiction_of(user) or _jurisdiction_of(actor),
                reason="reset by an administrator; must change at next sign-in",
                changes={"by": "administrator", "user": user.username, "must_change": True,
                         "sign_ins_ended": ended})
    return password


def must_change(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "must_change_password", False))


#: URL names a user who must change the password may still open (besides static files)
ALLOWED_WHILE_FORCED = ("accounts:password_change", "accounts:logout", "accounts:login", "set_language",
                        # the second factor comes first (TwoFactorMiddleware runs before this one)
                        "accounts:twofactor_verify", "accounts:twofactor_enrol", "accounts:twofactor_qr")

