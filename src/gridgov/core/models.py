"""The append-only audit table and a small key/value store for system state.

Core has no domain models of its own; these two serve every app.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Versioned(models.Model):
    """Base of every row changed under optimistic locking: ``version`` goes up by one on each change
    (see ``core.versioning.update_versioned``), ``created_at``/``updated_at`` say when."""

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    LOGIN = "LOGIN", _("login")
    LOGIN_FAILED = "LOGIN_FAILED", _("login failed")
    LOCKOUT = "LOCKOUT", _("account locked")
    LOGOUT = "LOGOUT", _("logout")
    READ = "READ", _("read")
    CREATE = "CREATE", _("create")
    UPDATE = "UPDATE", _("update")
    DELETE = "DELETE", _("delete")
    EXPORT = "EXPORT", _("export")
    IMPORT = "IMPORT", _("import")
    REVEAL = "REVEAL", _("reveal")
    DENIED = "DENIED", _("access denied")
    TRANSITION = "TRANSITION", _("transition")


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("success")
    FAILURE = "failure", _("failure")
    DENIED = "denied", _("denied")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # pragma: no cover - exercised by test_audit
        raise TypeError("audit events are append-only")

    def delete(self):
        raise TypeError("audit events are append-only")


class AuditEvent(models.Model):
    """One row per security-relevant event. Never updated, never deleted (DB triggers enforce it);
    each row is linked to the previous one by a SHA-256 hash chain (``gridgov audit verify``)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=64, blank=True)
    jurisdiction = models.CharField(max_length=15, blank=True, db_index=True,
                                    help_text="code prefix the event belongs to (scopes auditors' reads)")
    action = models.CharField(max_length=16, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=8, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS)
    reason = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=8, blank=True)
    # the hash chain (core/auditchain.py): the previous row's row_hash and this row's own
    prev_hash = models.CharField(max_length=64, blank=True)
    row_hash = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("audit events are append-only")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor_username} {self.object_type}:{self.object_id}"


class SystemState(models.Model):
    """Small key/value facts about this installation (e.g. which demo city is loaded)."""

    key = models.CharField(max_length=64, primary_key=True)
    value = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)
