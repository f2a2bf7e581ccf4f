"""The one-stop desk (一站式服务): a visitor's request, routed in one step to the right workflow
and tracked to closure. Data and invariants only; writes in ``desk.services``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.core.models import Versioned


class Visitor(models.Model):
    """A visitor who is not (or not yet) in the register: the minimum the desk needs to call back."""

    name = models.CharField(_("name"), max_length=64)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    grid_code = models.CharField(max_length=15, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]


class DeskRequest(Versioned):
    class Channel(models.TextChoices):
        IN_PERSON = "in_person", pgettext_lazy("desk channel", "in person")
        PHONE = "phone", pgettext_lazy("desk channel", "phone")

    class Kind(models.TextChoices):
        PROBLEM = "problem", pgettext_lazy("desk kind", "problem or dispute")
        RESIDENCE = "residence", pgettext_lazy("desk kind", "residence registration")
        PERMIT = "permit", pgettext_lazy("desk kind", "residence permit application")
        PERMIT_RENEWAL = "permit_renewal", pgettext_lazy("desk kind", "residence permit renewal")
        SERVICE = "service", pgettext_lazy("desk kind", "care or social help")
        QUESTION = "question", pgettext_lazy("desk kind", "question")

    class Route(models.TextChoices):
        CASE = "case", pgettext_lazy("desk route", "event (case)")
        REGISTRATION = "registration", pgettext_lazy("desk route", "residence registration")
        PERMIT = "permit", pgettext_lazy("desk route", "permit application")
        REFERRAL = "referral", pgettext_lazy("desk route", "service referral")
        ANSWERED = "answered", pgettext_lazy("desk route", "answered on the spot")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("desk status", "in progress")
        CLOSED = "closed", pgettext_lazy("desk status", "closed")

    class Satisfaction(models.TextChoices):
        NONE = "", pgettext_lazy("desk satisfaction", "not asked")
        SATISFIED = "satisfied", pgettext_lazy("desk satisfaction", "satisfied")
        BASIC = "basic", pgettext_lazy("desk satisfaction", "basically satisfied")
        UNSATISFIED = "unsatisfied", pgettext_lazy("desk satisfaction", "unsatisfied")
        DECLINED = "declined", pgettext_lazy("desk satisfaction", "declined to answer")

    receipt = models.CharField(_("receipt number"), max_length=20, unique=True)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    visitor = models.ForeignKey(Visitor, null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    grid_code = models.CharField(max_length=15, db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField(_("request"))
    route = models.CharField(max_length=14, choices=Route.choices)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    permit_application = models.ForeignKey("desk.PermitApplication", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    registration = models.ForeignKey("desk.ResidenceRegistration", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey("desk.ServiceReferral", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    answer = models.TextField(blank=True)
    received_at = models.DateTimeField(db_index=True)
    limit = models.CharField(max_length=8, help_text="working-time limit, e.g. 5d")
    promised_at = models.DateTimeField(_("promised completion"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    satisfaction = models.CharField(max_length=12, choices=Satisfaction.choices, blank=True, default="")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(person__isnull=False) | models.Q(visitor__isnull=False),
                                   name="desk_request_has_visitor"),
        ]


class DeskEvent(models.Model):
    """The desk's own timeline rows (intake, routing, escalation, closure); the routed module's
    events (a case's timeline) are merged in when the timeline is read."""

    request = models.ForeignKey(DeskRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    action = models.CharField(max_length=24)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
