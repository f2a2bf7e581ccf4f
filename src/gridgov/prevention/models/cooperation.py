"""Regional cooperation (区域警务协作网, 接合部联防): agreements between neighbouring areas with a
joint patrol area and meetings."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CooperationAgreement(models.Model):
    code = models.CharField(_("agreement code"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=128)
    area_code = models.CharField(_("our area"), max_length=15, db_index=True)
    partner_code = models.CharField(_("partner area"), max_length=15)
    partner_name = models.CharField(_("partner"), max_length=64)
    joint_area = models.TextField(_("joint patrol area (GeoJSON)"), blank=True)
    signed_on = models.DateField(_("signed on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["area_code", "code"]
        verbose_name = _("cooperation agreement")
        verbose_name_plural = _("cooperation agreements")


class CooperationMeeting(models.Model):
    agreement = models.ForeignKey(CooperationAgreement, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField(_("held on"))
    topic = models.CharField(_("topic"), max_length=200)
    decisions = models.TextField(_("decisions"), blank=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("cooperation meeting")
        verbose_name_plural = _("cooperation meetings")
