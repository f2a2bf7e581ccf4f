"""Special-population care: enrolments and everything hung on them. Data and invariants only.

Every row carries ``grid_code`` (the owner jurisdiction, 15 digits, indexed) and is scoped by it
together with the programme's capability. Programme-specific GB/T 31000 items live in
``Enrolment.fields`` (JSON, validated against data/programmes.json by the services).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import Versioned

PROGRAMME_CHOICES = [
    ("corrections", _("Community corrections")),
    ("resettlement", _("Resettlement after release")),
    ("rehabilitation", _("Community drug rehabilitation")),
    ("youth", _("Youth")),
    ("street_children", _("Street children")),
    ("mental_health", _("Severe mental illness")),
]


class Provider(Versioned):
    """A service provider referrals go to (社会组织, 政府购买服务, 过渡性安置基地, 治疗康复机构)."""

    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=2, help_text="code table ProviderKind")
    programmes = models.JSONField(_("programmes served"), default=list)
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")


class Enrolment(Versioned):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    programme = models.CharField(_("programme"), max_length=16, choices=PROGRAMME_CHOICES, db_index=True)
    # Nullable: de-identification after the retention period cuts the link to the person.
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("responsible worker"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE,
                              db_index=True)
    level = models.CharField(_("level"), max_length=2)
    start_date = models.DateField(_("start"))
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True, db_index=True)
    closure_type = models.CharField(_("closure type"), max_length=2, blank=True)
    closure_note = models.TextField(_("closure note"), blank=True)
    fields = models.JSONField(default=dict, blank=True)
    plan = models.TextField(_("individual plan"), blank=True)
    plan_goals = models.JSONField(default=list, blank=True)
    minor_at_start = models.BooleanField(default=False)
    under14_at_start = models.BooleanField(default=False)
    sealed = models.BooleanField(_("sealed juvenile record"), default=False, db_index=True)
    sealed_at = models.DateTimeField(null=True, blank=True)
    deidentified_at = models.DateTimeField(null=True, blank=True, db_index=True)
    codes_version = models.CharField(max_length=64, blank=True)
    eligibility_override = models.CharField(_("reason for enrolling despite the eligibility rules"), max_length=500,
                                            blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        indexes = [models.Index(fields=["programme", "status", "grid_code"], name="care_enrol_prog_status")]
        constraints = [
            models.UniqueConstraint(fields=["person", "programme"], condition=Q(status="active"),
                                    name="care_one_active_enrolment"),
        ]


class TeamMember(models.Model):
    """Member of the individual plan's team (矫正小组 / 参与管理人员)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="team")
    grid_code = models.CharField(max_length=15, db_index=True)
    member_type = models.CharField(_("member type"), max_length=2)
    name = models.CharField(_("name"), max_length=64)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class Contact(models.Model):
    """A scheduled (or ad-hoc) contact: visit, phone call or report-in."""

    class Kind(models.TextChoices):
        REPORT_IN = "report_in", _("report-in")
        VISIT = "visit", _("home visit")
        PHONE = "phone", _("phone call")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        OVERDUE = "overdue", _("overdue")
        COMPLETED = "completed", _("completed")
        SKIPPED = "skipped", _("skipped")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="contacts")
    grid_code = models.CharField(max_length=15, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    due_date = models.DateField(_("due"), null=True, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED,
                              db_index=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    skip_reason = models.CharField(_("reason for skipping"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(null=True, blank=True)
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")


class HandOver(Versioned):
    """衔接: a person sent to the community by an institution, expected to report in by a deadline."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting report-in")
        RECEIVED = "received", _("received")
        MISSED = "missed", _("missed report-in (漏管)")

    programme = models.CharField(max_length=16, choices=PROGRAMME_CHOICES)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    grid_code = models.CharField(max_length=15, db_index=True)
    sending_institution = models.CharField(_("sending institution"), max_length=128)
    notified_on = models.DateField(_("notified on"))
    report_deadline = models.DateField(_("report-in deadline"), db_index=True)
    reported_on = models.DateField(_("reported on"), null=True, blank=True)
    cohesion = models.CharField(_("hand-over manner"), max_length=2, blank=True, help_text="code table Cohesion")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    enrolment = models.ForeignKey(Enrolment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["report_deadline", "id"]


class Alert(Versioned):
    """漏管 (missed report-in after a hand-over) or 脱管 (absence during supervision), with the response."""

    class Kind(models.TextChoices):
        MISSED_REPORT = "missed_report", _("missed report-in (漏管)")
        ABSENT = "absent", _("absent from supervision (脱管)")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    programme = models.CharField(max_length=16, choices=PROGRAMME_CHOICES)
    grid_code = models.CharField(max_length=15, db_index=True)
    handover = models.ForeignKey(HandOver, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    enrolment = models.ForeignKey(Enrolment, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="alerts")
    raised_on = models.DateField()
    cause = models.CharField(_("cause"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    response = models.TextField(_("response taken"), blank=True)
    resolved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_on", "-id"]


class Transfer(Versioned):
    """An enrolment offered to the community the person moved to (new residence in the register, or
    by hand). The receiving worker accepts it within a limit of working days; until then it is
    待接收 in both worklists, and a 漏管 alert is raised when the limit passes."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting acceptance")
        ACCEPTED = "accepted", _("accepted")
        CANCELLED = "cancelled", _("cancelled")

    class Source(models.TextChoices):
        REGISTER = "register", _("new residence in the register")
        MANUAL = "manual", _("by hand")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="transfers")
    programme = models.CharField(max_length=16, choices=PROGRAMME_CHOICES)
    from_grid_code = models.CharField(_("sending grid"), max_length=15, db_index=True)
    grid_code = models.CharField(_("receiving grid"), max_length=15, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    offered_at = models.DateTimeField()
    deadline = models.DateTimeField(_("accept by"), db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    alert = models.ForeignKey("Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["deadline", "id"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment"], condition=Q(status="pending"),
                                    name="care_one_pending_transfer"),
        ]


class Investigation(Versioned):
    """审前社会调查: requested by a court or procuratorate about a defendant."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        ASSIGNED = "assigned", _("assigned")
        SUBMITTED = "submitted", _("report submitted")

    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    grid_code = models.CharField(max_length=15, db_index=True)
    requesting_authority = models.CharField(_("requesting authority"), max_length=128)
    requested_on = models.DateField(_("requested on"))
    due_date = models.DateField(_("due"), db_index=True)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    report = models.TextField(_("report"), blank=True)
    recommendation = models.CharField(_("recommendation"), max_length=16, blank=True,
                                      help_text="suitable | unsuitable")
    submitted_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]


class Referral(Versioned):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="referrals")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="referrals")
    grid_code = models.CharField(max_length=15, db_index=True)
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    referred_on = models.DateField()
    outcome = models.TextField(_("outcome"), blank=True)
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-referred_on", "-id"]


class ResettlementOutcome(models.Model):
    """安置情况 of a resettlement enrolment (code table Resettlement) or why not resettled."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="outcomes")
    grid_code = models.CharField(max_length=15, db_index=True)
    recorded_on = models.DateField()
    resettled = models.BooleanField(default=True)
    resettlement = models.CharField(max_length=2, blank=True)
    reason_not = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["-recorded_on", "-id"]


class JointTask(Versioned):
    """One agency's task on a joint street-children case."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="tasks")
    grid_code = models.CharField(max_length=15, db_index=True)
    agency = models.CharField(max_length=20)
    task = models.CharField(max_length=200)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    done_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["enrolment", "agency"], name="care_one_task_per_agency")]


class BreakGlass(models.Model):
    """Emergency access to one enrolment outside the user's jurisdiction: reason, expiry, audited."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="+")
    grid_code = models.CharField(max_length=15, db_index=True)
    reason = models.CharField(max_length=500)
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-granted_at"]


class LegalQuery(Versioned):
    """The statutory query procedure for sealed juvenile records: requested with a legal basis,
    approved by a different responsible person, valid until it expires."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    person = models.ForeignKey("registry.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    grid_code = models.CharField(max_length=15, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    legal_basis = models.CharField(_("legal basis"), max_length=500)
    case_reference = models.CharField(_("case reference"), max_length=128)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
