"""Units and trade venues (单位和行业场所防控网): key venues by type, linked to the register's
organisations, with a hazard level; inspections with findings and a rectification deadline in a
closed loop (``prevention/venueflow.py`` holds the explicit transition table)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Venue(models.Model):
    class Type(models.TextChoices):
        HOTEL = "hotel", _("hotel")
        INTERNET_CAFE = "internet_cafe", _("internet café")
        RENTAL_AGENCY = "rental_agency", _("rental agency")
        EXPRESS = "express", _("express delivery")
        SECOND_HAND = "second_hand", _("second-hand trade")
        SCHOOL = "school", _("school")
        HOSPITAL = "hospital", _("hospital")
        MARKET = "market", _("market")
        CONSTRUCTION = "construction", _("construction site")
        OTHER = "other", _("other")

    class Hazard(models.IntegerChoices):
        LOW = 1, _("low")
        MEDIUM = 2, _("medium")
        HIGH = 3, _("high")

    code = models.CharField(_("venue code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    organisation = models.ForeignKey("registry.Organisation", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    address = models.CharField(_("address"), max_length=200, blank=True)
    hazard = models.PositiveSmallIntegerField(_("hazard level"), choices=Hazard.choices, default=Hazard.LOW)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["grid_code", "code"]
        verbose_name = _("key venue")
        verbose_name_plural = _("key venues")


class InspectionState(models.TextChoices):
    PASSED = "passed", _("passed")
    RECTIFYING = "rectifying", _("rectification due")
    SUBMITTED = "submitted", _("rectification reported")
    CLOSED = "closed", _("closed")
    OVERDUE = "overdue", _("overdue")


class Inspection(models.Model):
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="inspections")
    grid_code = models.CharField(max_length=15, db_index=True)
    inspected_on = models.DateField(_("inspected on"), db_index=True)
    findings = models.TextField(_("findings"), blank=True)
    state = models.CharField(_("state"), max_length=12, choices=InspectionState.choices, default=InspectionState.PASSED)
    deadline = models.DateField(_("rectification deadline"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-inspected_on", "-id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
