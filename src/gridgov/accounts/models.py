from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person or machine that signs in. Jurisdiction and role come from memberships."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # set by an administrator's password reset: until the user sets a password of their own, every
    # page sends them to the password change page (PasswordChangeRequiredMiddleware)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    # this instance's active memberships (roles joined), read once; None: not read yet (set None to re-read)
    _gridgov_memberships: list[Membership] | None = None
    # the ids of the cases departments this instance belongs to (cases.selectors.department_ids), likewise
    _gridgov_departments: list[int] | None = None

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def active_memberships(self) -> list[Membership]:
        cached = self._gridgov_memberships
        if cached is None:
            cached = list(self.memberships.filter(active=True).select_related("role")
                          .order_by("jurisdiction", "id"))
            self._gridgov_memberships = cached
        return cached

    def primary_membership(self) -> Membership | None:
        memberships = self.active_memberships()
        capture = [m for m in memberships if m.scope == Membership.Scope.CAPTURE]
        if capture:
            return capture[0]
        return memberships[0] if memberships else None

    def is_locked(self, now=None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())


class Role(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    capabilities = models.JSONField(default=list)

    class Meta:
        ordering = ["code"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.name

    def has(self, capability: str) -> bool:
        return capability in self.capabilities


class Membership(models.Model):
    """A user acts in a role at a jurisdiction (division/grid code prefix)."""

    class Scope(models.TextChoices):
        CAPTURE = "capture", _("capture (read and write)")
        SEARCH = "search", _("search (read only)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="memberships")
    jurisdiction = models.CharField(_("jurisdiction code prefix"), max_length=15, db_index=True)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.CAPTURE)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "jurisdiction", "scope"], name="uniq_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role.code} @ {self.jurisdiction} ({self.scope})"


class ApiToken(models.Model):
    """A machine credential. Only a SHA-256 digest of the secret is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64)
    prefix = models.CharField(max_length=8, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class PasswordHistory(models.Model):
    """A hash (Django's hashers, as ``User.password``) of a password the user had: the history
    validator (accounts/passwords.py) refuses the newest ones. Only the newest
    ``PasswordHistoryValidator.count`` rows per user are kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("previous password")
        verbose_name_plural = _("previous passwords")


class UserSession(models.Model):
    """One signed-in browser session of a user (Django's session store cannot list by user):
    written at sign-in, ``last_seen_at`` touched at most once a minute (accounts/sessions.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="browser_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        verbose_name = _("sign-in session")
        verbose_name_plural = _("sign-in sessions")


class ApiTokenConfirmation(models.Model):
    """When the holder of an API token last confirmed the password or an authenticator code with it
    (step-up, accounts/stepup.py). A browser session keeps the same time in the session instead."""

    token = models.OneToOneField(ApiToken, on_delete=models.CASCADE, related_name="confirmation")
    confirmed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("API token confirmation")
        verbose_name_plural = _("API token confirmations")
