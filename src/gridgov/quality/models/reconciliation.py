"""Reconciliation (对账) of an external list with the register: the uploaded list, its rows, the links
Splink found (quality/linkage.py) and the worklist items grid workers verify. Data and invariants only.

Nothing here is written to the register: a probable unregistered resident or a conflicting field
becomes a ``WorklistItem`` in the grid of the matched person (or of the house found at the row's
address); a row that cannot be placed goes to the centre's list (empty ``grid_code``). A visit
confirms or rejects each item (quality/reconcile_services.py, audited).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Reconciliation(models.Model):
    class ListKind(models.TextChoices):
        RENTAL = "rental", _("rental registrations")
        STAFF = "staff", _("employer's staff list")
        SCHOOL = "school", _("school enrolments")
        OTHER = "other", _("other list")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("linking")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    name = models.CharField(_("name"), max_length=100)
    list_kind = models.CharField(_("list"), max_length=10, choices=ListKind.choices, default=ListKind.RENTAL)
    area_code = models.CharField(_("area"), max_length=12, db_index=True,
                                 help_text="the register rows of this division code prefix are linked")
    filename = models.CharField(_("file"), max_length=200)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    threshold = models.FloatField(_("least match probability"), default=0.9)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=100)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    register_rows = models.PositiveIntegerField(_("register rows compared"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    conflicting = models.PositiveIntegerField(_("conflicting fields"), default=0)
    unregistered = models.PositiveIntegerField(_("probably unregistered"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        constraints = [models.CheckConstraint(condition=models.Q(threshold__gt=0, threshold__lt=1),
                                              name="quality_reconciliation_threshold_range")]

    def __str__(self) -> str:
        return self.name


class ExternalRecord(models.Model):
    """One row of the uploaded list, as read (identity number and mobile masked on every page)."""

    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.CASCADE, related_name="records")
    line = models.PositiveIntegerField(help_text="line of the file (1 = header)")
    record_id = models.CharField(max_length=64)
    name = models.CharField(_("name"), max_length=64, blank=True)
    sex = models.CharField(_("sex"), max_length=1, blank=True)
    birth_date = models.CharField(_("birth date"), max_length=10, blank=True)
    identity_number = models.CharField(_("identity number"), max_length=32, blank=True)
    mobile = models.CharField(_("mobile"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        ordering = ["reconciliation", "line"]
        constraints = [models.UniqueConstraint(fields=["reconciliation", "record_id"],
                                               name="quality_external_record_unique")]


class LinkCandidate(models.Model):
    """What the linkage says of one external row."""

    class Kind(models.TextChoices):
        MATCH = "match", _("matched, fields agree")
        CONFLICT = "conflict", _("matched, fields differ")
        UNREGISTERED = "unregistered", _("probably unregistered")

    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.CASCADE, related_name="candidates")
    record = models.OneToOneField(ExternalRecord, on_delete=models.CASCADE, related_name="candidate")
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    match_probability = models.FloatField(null=True, blank=True)
    kind = models.CharField(_("result"), max_length=12, choices=Kind.choices)
    conflicts = models.JSONField(default=list, blank=True, help_text="the checked fields that differ")
    grid_code = models.CharField(_("grid code"), max_length=15, blank=True, db_index=True,
                                 help_text="the matched person's grid, or the grid of the house at the address; "
                                           "empty: not located (the centre's list)")

    class Meta:
        ordering = ["reconciliation", "kind", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind="unregistered") | models.Q(person__isnull=False),
                                   name="quality_candidate_match_has_person"),
        ]


class WorklistItem(models.Model):
    """A probable unregistered resident or a conflicting field, to be verified by a visit."""

    class Status(models.TextChoices):
        OPEN = "open", _("to verify")
        CONFIRMED = "confirmed", _("confirmed by a visit")
        REJECTED = "rejected", _("rejected by a visit")

    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.CASCADE, related_name="worklist")
    candidate = models.OneToOneField(LinkCandidate, on_delete=models.CASCADE, related_name="worklist_item")
    area_code = models.CharField(max_length=12, db_index=True, help_text="the reconciliation's area")
    grid_code = models.CharField(_("grid code"), max_length=15, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(_("note"), max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "grid_code", "id"]
