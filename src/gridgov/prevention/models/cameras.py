"""Technical prevention (技防网): cameras as points with a view radius and sector and a status."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Camera(models.Model):
    class Status(models.TextChoices):
        ONLINE = "online", _("online")
        FAULTY = "faulty", _("faulty")
        OFFLINE = "offline", _("offline")

    code = models.CharField(_("camera code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64, blank=True)
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    lon = models.FloatField()
    lat = models.FloatField()
    radius_m = models.FloatField(_("view radius (m)"), default=30.0)
    heading = models.FloatField(_("heading (°)"), default=0.0, help_text="0 = north, clockwise")
    angle = models.FloatField(_("view angle (°)"), default=360.0, help_text="360 = dome camera")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ONLINE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["grid_code", "code"]
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
