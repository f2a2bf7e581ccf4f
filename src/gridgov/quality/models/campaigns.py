"""Verification campaigns (核查): the design and the stored sample of houses. Data and invariants only.

A campaign covers an area (a district, street or community code prefix), a period, strata (the grids
of the area by default) and a target margin; its sample is drawn once, from the register's houses of
the area (the frame), with a stored seed, so it can be drawn again and checked (quality/sampling.py).
Every sampled house carries its ``grid_code`` (scoping is a prefix test on it, as everywhere).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Campaign(models.Model):
    class Allocation(models.TextChoices):
        PROPORTIONAL = "proportional", _("proportional to the houses of each stratum")
        NEYMAN = "neyman", _("Neyman (houses x standard deviation of each stratum)")

    class StrataLevel(models.TextChoices):
        GRID = "grid", _("grid")
        COMMUNITY = "community", _("community")

    class Status(models.TextChoices):
        SAMPLED = "sampled", _("sample drawn")

    name = models.CharField(_("name"), max_length=100)
    area_code = models.CharField(_("area"), max_length=12, db_index=True,
                                 help_text="significant division code: district 6, street 9 or community 12 digits")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    strata_level = models.CharField(_("strata"), max_length=10, choices=StrataLevel.choices, default=StrataLevel.GRID)
    target_margin = models.FloatField(_("target margin"), help_text="half-width of the interval, 0.03 = +-3 points")
    confidence = models.FloatField(_("confidence level"), default=0.95)
    expected_rate = models.FloatField(_("expected rate"), default=0.9)
    design_effect = models.FloatField(_("design effect"), default=2.0)
    allocation = models.CharField(_("allocation"), max_length=12, choices=Allocation.choices,
                                  default=Allocation.PROPORTIONAL)
    seed = models.BigIntegerField(_("seed"))
    frame_houses = models.PositiveIntegerField(_("houses in the frame"))
    sample_size = models.PositiveIntegerField(_("houses to visit"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SAMPLED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("verification campaign")
        verbose_name_plural = _("verification campaigns")
        constraints = [
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="quality_campaign_period_order"),
            models.CheckConstraint(condition=models.Q(target_margin__gt=0, target_margin__lt=1),
                                   name="quality_campaign_margin_range"),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignStratum(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="strata")
    code = models.CharField(_("stratum"), max_length=15)
    frame_houses = models.PositiveIntegerField(_("houses in the frame"))
    sample_houses = models.PositiveIntegerField(_("houses to visit"))
    prior_sd = models.FloatField(null=True, blank=True, help_text="standard deviation used by Neyman allocation")

    class Meta:
        ordering = ["campaign", "code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="quality_stratum_unique"),
            models.CheckConstraint(condition=models.Q(sample_houses__lte=models.F("frame_houses")),
                                   name="quality_stratum_sample_in_frame"),
        ]


class SampledHouse(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="houses")
    stratum = models.ForeignKey(CampaignStratum, on_delete=models.CASCADE, related_name="houses")
    house = models.ForeignKey("registry.House", on_delete=models.PROTECT, related_name="+")
    house_code = models.CharField(_("house code"), max_length=32)  # as drawn: the key of its random number
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    rank = models.PositiveIntegerField(help_text="1 = the smallest random number of its stratum")
    number = models.CharField(max_length=16, help_text="the house's permanent random number, 16 hex digits")

    class Meta:
        ordering = ["campaign", "stratum", "rank"]
        constraints = [models.UniqueConstraint(fields=["campaign", "house"], name="quality_sampled_house_unique")]
