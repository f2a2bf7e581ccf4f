"""Divisions and grids. Geometry is stored as WKB (WGS84 lon/lat) with a bounding box for
index-backed bbox queries; the same schema works on SQLite and PostgreSQL (no PostGIS needed)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Bounded(models.Model):
    boundary = models.BinaryField(null=True, blank=True, help_text="WKB, WGS84 lon/lat")
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    area_m2 = models.FloatField(null=True, blank=True)

    class Meta:
        abstract = True


class Division(Bounded):
    class Level(models.IntegerChoices):
        PROVINCE = 2, _("province")
        CITY = 4, _("city")
        COUNTY = 6, _("district / county")
        TOWNSHIP = 9, _("street / town")
        COMMUNITY = 12, _("community / village")

    code = models.CharField(_("code"), max_length=12, unique=True, help_text="12-digit statistical code")
    prefix = models.CharField(_("significant code"), max_length=12, db_index=True,
                              help_text="the code without trailing zero segments; its length is the level")
    name = models.CharField(_("name"), max_length=64)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["code"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        indexes = [models.Index(fields=["level", "min_lon", "min_lat"], name="division_level_bbox")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class Grid(Bounded):
    class Kind(models.TextChoices):
        UNIT = "unit", _("unit grid")
        RESPONSIBILITY = "responsibility", _("responsibility grid")

    code = models.CharField(_("grid code"), max_length=15, unique=True,
                            help_text="community 12 digits + 3-digit sequence")
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.UNIT)
    community = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="grids")

    class Meta:
        ordering = ["code"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        indexes = [models.Index(fields=["min_lon", "min_lat"], name="grid_bbox")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


def boundary_wkb(boundary: bytes | memoryview | None) -> bytes:
    """A stored ``boundary`` as WKB bytes (a driver may hand a memoryview). For rows read with
    ``boundary__isnull=False``: a missing boundary there is a programming error."""
    if boundary is None:
        raise ValueError("row without a boundary (read it with boundary__isnull=False)")
    return bytes(boundary)
