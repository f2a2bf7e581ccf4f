"""Street patrol (街面巡防网): patrol units with their route or area and shifts, and patrol logs.

A log says who patrolled when, and where: the grids visited (as entered by hand) and/or the track
points (lon/lat, from a device). Patrol hours per grid and week follow from the logs
(``prevention/patrols.py``). ``area_code`` (a division prefix or a grid code) scopes a unit and
its logs; a log copies its unit's area code so that it is scoped with one indexed column.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PatrolUnit(models.Model):
    class Kind(models.TextChoices):
        POLICE = "police", _("police")
        AUXILIARY = "auxiliary", _("auxiliary police")
        SECURITY = "security", _("security company")
        VOLUNTEER = "volunteer", _("volunteers")

    class Shape(models.TextChoices):
        ROUTE = "route", _("route")
        AREA = "area", _("area")

    code = models.CharField(_("unit code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    area_code = models.CharField(_("area code"), max_length=15, db_index=True,
                                 help_text="division prefix or grid code the unit patrols")
    shape = models.CharField(_("shape"), max_length=8, choices=Shape.choices, default=Shape.AREA)
    geometry = models.TextField(_("route or area (GeoJSON)"), blank=True,
                                help_text="GeoJSON geometry: LineString (route) or Polygon (area), WGS84")
    shifts = models.JSONField(_("shifts"), default=list, blank=True,
                              help_text='[{"start": "08:00", "end": "16:00", "days": [1,2,3,4,5]}]')
    headcount = models.PositiveSmallIntegerField(_("headcount"), default=2)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["area_code", "code"]
        verbose_name = _("patrol unit")
        verbose_name_plural = _("patrol units")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PatrolLog(models.Model):
    unit = models.ForeignKey(PatrolUnit, on_delete=models.PROTECT, related_name="logs")
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    ended_at = models.DateTimeField(_("ended at"))
    grids_visited = models.JSONField(_("grids visited"), default=list, blank=True)
    track = models.JSONField(_("track points"), default=list, blank=True, help_text="[[lon, lat], ...]")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("patrol log")
        verbose_name_plural = _("patrol logs")
        indexes = [models.Index(fields=["area_code", "started_at"], name="patrollog_area_start")]
        constraints = [models.CheckConstraint(condition=models.Q(ended_at__gt=models.F("started_at")),
                                              name="patrollog_end_after_start")]

    @property
    def hours(self) -> float:
        return (self.ended_at - self.started_at).total_seconds() / 3600.0
