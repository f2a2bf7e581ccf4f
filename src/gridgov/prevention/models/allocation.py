"""The district's weekly patrol plan (issue 19 §3): a proposal from the allocation kernel
(``prevention/allocate.py``), one line per grid with the estimated risk, its interval and the reasons,
accepted or edited by the police (audited, optimistic locking on ``version``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.core.models import Versioned


class PatrolPlan(Versioned):
    class Status(models.TextChoices):
        PROPOSED = "proposed", pgettext_lazy("patrol plan status", "proposed")
        ACCEPTED = "accepted", pgettext_lazy("patrol plan status", "accepted")
        EDITED = "edited", pgettext_lazy("patrol plan status", "accepted with changes")

    area_code = models.CharField(_("area code"), max_length=15, db_index=True,
                                 help_text="the division prefix the plan covers (a district: 6 digits)")
    week_start = models.DateField(_("week"), help_text="Monday of the planned week")
    units_total = models.FloatField(_("patrol units"))
    exploration = models.FloatField(_("exploration share"), default=0.15)
    floor = models.FloatField(_("floor per grid"), default=0.0)
    cap = models.FloatField(_("cap per grid"), null=True, blank=True)
    seed = models.IntegerField(default=0)
    history_weeks = models.PositiveSmallIntegerField(_("weeks of history"), default=12)
    kappa = models.FloatField(help_text="discovered per patrol hour relative to reported per week (ML)")
    area_mean = models.FloatField(help_text="area mean of the estimated risk")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-week_start", "area_code"]
        verbose_name = _("patrol plan")
        verbose_name_plural = _("patrol plans")
        constraints = [models.UniqueConstraint(fields=["area_code", "week_start"], name="patrolplan_area_week")]

    def __str__(self) -> str:
        return f"PatrolPlan {self.area_code} {self.week_start}"


class PatrolPlanLine(models.Model):
    plan = models.ForeignKey(PatrolPlan, on_delete=models.CASCADE, related_name="lines")
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    units = models.FloatField(_("units"), help_text="the plan's units (the proposal, or the police's edit)")
    proposed_units = models.FloatField(_("proposed units"))
    explore_units = models.FloatField(default=0.0, help_text="the part of the proposal from the exploration share")
    risk = models.FloatField(_("estimated risk"), help_text="expected reported incidents per week (posterior mean)")
    risk_low = models.FloatField()
    risk_high = models.FloatField()
    reported = models.PositiveIntegerField(default=0, help_text="reported incidents in the history weeks")
    discovered = models.PositiveIntegerField(default=0, help_text="discovered incidents in the history weeks")
    patrol_hours = models.FloatField(default=0.0, help_text="patrol hours in the history weeks")
    recent_hours = models.FloatField(default=0.0, help_text="patrol hours in the last 4 history weeks")
    reasons = models.JSONField(default=list, help_text='[{"code": "...", "params": {...}}]')

    class Meta:
        ordering = ["plan", "grid_code"]
        constraints = [models.UniqueConstraint(fields=["plan", "grid_code"], name="patrolplanline_plan_grid")]
