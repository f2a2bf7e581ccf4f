"""Police staffing per police station and street (统筹均衡配置): how many police and auxiliary police
(辅警) a station has in a street. Numbers only, never a person: the staffing review compares them
with population, migrant share, incidents and area."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import Versioned


class StationStaffing(Versioned):
    station = models.CharField(_("police station"), max_length=64)
    street_code = models.CharField(_("street code"), max_length=9, db_index=True,
                                   help_text="9-digit significant code of the street / town")
    police = models.PositiveIntegerField(_("police officers"))
    auxiliary = models.PositiveIntegerField(_("auxiliary police"))
    as_of = models.DateField(_("as of"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["street_code", "station"]
        verbose_name = _("station staffing")
        verbose_name_plural = _("station staffing")
        constraints = [models.UniqueConstraint(fields=["station", "street_code"], name="stationstaffing_station_street")]

    def __str__(self) -> str:
        return f"{self.station} {self.street_code}"
