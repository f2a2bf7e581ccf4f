"""Services for migrant residents (来沪人员综合服务): residence permit applications (documents
checked, review, issue through ``registry.services.permit_issue``, renewal), residence registration
of 人户分离 residents, service referrals to registered providers, government-purchased social-work
projects (政府购买服务). Data and invariants only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.core.models import Versioned

#: documents an application needs (居住证暂行条例 第九条; 上海市居住证管理办法)
PERMIT_DOCUMENTS: dict[str, object] = {
    "identity": _("identity card"),
    "photo": _("photo"),
    "residence_proof": _("proof of residence (lease or property)"),
    "condition_proof": _("proof of the condition (employment, study or residence)"),
}


class PermitApplication(Versioned):
    class Kind(models.TextChoices):
        NEW = "new", pgettext_lazy("permit application kind", "first application")
        RENEWAL = "renewal", pgettext_lazy("permit application kind", "renewal")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", pgettext_lazy("permit application status", "submitted")
        REJECTED = "rejected", pgettext_lazy("permit application status", "rejected")
        ISSUED = "issued", pgettext_lazy("permit application status", "issued")

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    grid_code = models.CharField(max_length=15, db_index=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    previous = models.ForeignKey("registry.ResidencePermit", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    condition = models.CharField(max_length=10)
    documents = models.JSONField(default=dict, help_text="document code -> checked")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    submitted_on = models.DateField()
    decided_on = models.DateField(null=True, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    review_note = models.TextField(blank=True)
    permit = models.ForeignKey("registry.ResidencePermit", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")

    class Meta:
        ordering = ["-submitted_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(status="submitted"),
                                    name="desk_one_open_permit_application"),
        ]


class PermitReminder(models.Model):
    """A renewal reminder raised once per permit, 30 days before expiry (desk and grid worker lists)."""

    permit = models.OneToOneField("registry.ResidencePermit", on_delete=models.CASCADE, related_name="+")
    grid_code = models.CharField(max_length=15, db_index=True)
    raised_on = models.DateField()
    expiry_date = models.DateField()

    class Meta:
        ordering = ["expiry_date", "id"]


class ResidenceRegistration(models.Model):
    """居住登记: a resident living away from the hukou address (人户分离) registers where they live;
    the residence address becomes the place of service (the person's grid)."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    house = models.ForeignKey("registry.House", on_delete=models.PROTECT, related_name="+")
    grid_code = models.CharField(max_length=15, db_index=True)
    registered_on = models.DateField()
    from_grid_code = models.CharField(max_length=15, blank=True)
    household_separated = models.BooleanField(default=False)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ["-registered_on", "-id"]


class ServiceReferral(Versioned):
    class Kind(models.TextChoices):
        EMPLOYMENT = "employment", pgettext_lazy("referral kind", "employment")
        HOUSING = "housing", pgettext_lazy("referral kind", "housing")
        MEDICAL = "medical", pgettext_lazy("referral kind", "medical care")
        INSURANCE = "insurance", pgettext_lazy("referral kind", "social insurance")
        SOCIAL = "social", pgettext_lazy("referral kind", "social help")

    class Status(models.TextChoices):
        REFERRED = "referred", pgettext_lazy("referral status", "referred")
        ACCEPTED = "accepted", pgettext_lazy("referral status", "accepted by the provider")
        COMPLETED = "completed", pgettext_lazy("referral status", "completed")
        DECLINED = "declined", pgettext_lazy("referral status", "declined")

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("registry.Organisation", on_delete=models.PROTECT, related_name="+")
    grid_code = models.CharField(max_length=15, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REFERRED, db_index=True)
    outcome = models.TextField(blank=True)
    referred_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-referred_on", "-id"]


class SocialWorkProject(Versioned):
    """政府购买服务: a social-work project bought by the street from a registered provider."""

    name = models.CharField(_("project"), max_length=128)
    provider = models.ForeignKey("registry.Organisation", on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=15, db_index=True, help_text="the buying street (or wider)")
    areas = models.JSONField(default=list, help_text="division or grid codes served")
    target_groups = models.JSONField(default=list)
    budget_yuan = models.DecimalField(max_digits=12, decimal_places=2)
    start_date = models.DateField()
    end_date = models.DateField()

    class Meta:
        ordering = ["-start_date", "id"]


class ProjectOutput(models.Model):
    """An agreed output of a project (e.g. 120 home visits), with what was recorded against it."""

    project = models.ForeignKey(SocialWorkProject, on_delete=models.CASCADE, related_name="outputs")
    name = models.CharField(max_length=128)
    unit = models.CharField(max_length=16)
    target = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]


class OutputRecord(models.Model):
    output = models.ForeignKey(ProjectOutput, on_delete=models.CASCADE, related_name="records")
    on = models.DateField()
    quantity = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["-on", "-id"]
