"""Visits of a campaign's sampled houses (核查走访): assignment to grid workers, what was found, and the
corrections it proposes to the register. Data and invariants only (writes: quality/visit_services.py).

A ``Visit`` stores what the grid worker *found* (outcome; persons, each registered or not, matched to a
register row, with the checked fields that differ). The per-house counts the estimator reads are kept
on the visit as found; approving a ``CorrectionProposal`` changes the register, never the visit, so an
estimate always uses what was found.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: the checked fields of a register row (the accuracy rate's definition): name, identity number,
#: house (lives where registered), residence type (population type) and mobile
CHECKED_FIELDS = ("name", "identity_number", "house", "population_type", "phone")


class VisitAssignment(models.Model):
    """Which grid worker visits a sampled house (default: a worker with a membership on its grid)."""

    sampled_house = models.OneToOneField("quality.SampledHouse", on_delete=models.CASCADE, related_name="assignment")
    campaign = models.ForeignKey("quality.Campaign", on_delete=models.CASCADE, related_name="assignments")
    grid_code = models.CharField(max_length=15, db_index=True)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    assigned_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "grid_code", "id"]
        indexes = [models.Index(fields=["worker", "campaign"], name="quality_assign_worker")]


class Visit(models.Model):
    class Outcome(models.TextChoices):
        FOUND = "found", _("residents found")
        EMPTY = "empty", _("house empty")
        REFUSED = "refused", _("refused")
        NOT_FOUND = "not_found", _("house not found")

    #: outcomes that are a response (the house is in the estimate); the others are non-response
    RESPONSES = (Outcome.FOUND, Outcome.EMPTY)

    sampled_house = models.OneToOneField("quality.SampledHouse", on_delete=models.CASCADE, related_name="visit")
    campaign = models.ForeignKey("quality.Campaign", on_delete=models.CASCADE, related_name="visits")
    grid_code = models.CharField(max_length=15, db_index=True)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    visited_on = models.DateField(_("visited on"))
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    # what was found, as the estimator reads it (y/x of both indicators)
    persons_found = models.PositiveIntegerField(default=0)
    persons_registered = models.PositiveIntegerField(default=0)
    records_checked = models.PositiveIntegerField(default=0)
    records_accurate = models.PositiveIntegerField(default=0)
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "grid_code", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(persons_registered__lte=models.F("persons_found")),
                                   name="quality_visit_registered_le_found"),
            models.CheckConstraint(condition=models.Q(records_accurate__lte=models.F("records_checked")),
                                   name="quality_visit_accurate_le_checked"),
        ]


class VisitPerson(models.Model):
    """A person found living in the house: registered (matched to a register row) or not (a stub)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="persons")
    registered = models.BooleanField()
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("name"), max_length=64)
    differing = models.JSONField(default=list, blank=True, help_text="checked fields that differ from the register")
    stub = models.JSONField(default=dict, blank=True, help_text="an unregistered person: name, sex, birth date")

    class Meta:
        ordering = ["visit", "id"]


class CorrectionProposal(models.Model):
    """A correction of the register found on a visit; applied through the registry's services after
    the centre approves."""

    class Kind(models.TextChoices):
        UPDATE = "update", _("correct a register row")
        REGISTER = "register", _("register a new resident")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("awaiting approval")
        APPROVED = "approved", _("approved and applied")
        REJECTED = "rejected", _("rejected")

    campaign = models.ForeignKey("quality.Campaign", on_delete=models.CASCADE, related_name="corrections")
    visit_person = models.OneToOneField(VisitPerson, on_delete=models.CASCADE, related_name="proposal")
    grid_code = models.CharField(max_length=15, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    house = models.ForeignKey("registry.House", on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict, help_text="the values found: field -> value")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
