"""Public-safety situation: incident categories, incidents, graded warnings and hotspots.

Incidents carry their grid code (scoping) and their origin: reported by citizens or victims, or
discovered by police. Warnings and hotspots are aggregates per area (a division prefix or a grid
code, ``area_code``) and are scoped on it. Settings (the feedback-loop guard, level cut-offs) live
in ``core.SystemState`` under ``safety:config`` and change only through services (audited).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: GB/T 31000-2015 治安突出问题 (../shared/reference/standards.md §1.4): (code, 中文, English).
STANDARD_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("01", "命案", "Homicide"),
    ("02", "入室盗窃", "Burglary"),
    ("03", "抢劫抢夺", "Robbery and snatching"),
    ("04", "电信诈骗", "Telecom fraud"),
    ("05", "拎包扒窃", "Bag theft and pickpocketing"),
    ("06", "偷盗机动车", "Motor vehicle theft"),
    ("07", "卖淫嫖娼", "Prostitution"),
    ("08", "赌博", "Gambling"),
    ("09", "拐卖妇女儿童", "Trafficking of women and children"),
    ("10", "制假贩假", "Counterfeiting"),
    ("11", "制黄贩黄", "Pornography"),
    ("12", "高利贷", "Usury"),
    ("13", "强买强卖", "Forced trading"),
    ("14", "交通秩序混乱", "Traffic disorder"),
    ("99", "其他", "Other"),
)


class Category(models.Model):
    """An incident category: the standard 治安突出问题 codes plus locally configured ones."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    standard = models.BooleanField(_("from GB/T 31000"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Origin(models.TextChoices):
    REPORTED = "reported", _("reported by citizens or victims")
    DISCOVERED = "discovered", _("discovered by police")


class Incident(models.Model):
    """A police-recorded incident or call, located in a grid."""

    ref = models.CharField(_("reference"), max_length=64, blank=True, db_index=True,
                           help_text="the source system's case number (案事件编号), unique when given")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="incidents")
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    week_start = models.DateField(_("week"), help_text="Monday of the local (Asia/Shanghai) week of occurred_at")
    lon = models.FloatField()
    lat = models.FloatField()
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    origin = models.CharField(_("origin"), max_length=12, choices=Origin.choices)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["week_start", "grid_code"], name="incident_week_grid"),
            models.Index(fields=["grid_code", "category", "week_start"], name="incident_grid_cat_week"),
        ]

    def __str__(self) -> str:
        return f"{self.category_id} {self.grid_code} {self.occurred_at:%Y-%m-%d}"


class AlertStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    RESPONDING = "responding", _("response assigned")
    CLOSED = "closed", _("closed")


class Alert(models.Model):
    """A graded warning: one area, category and week whose count departed from its own normal."""

    class Level(models.IntegerChoices):
        BLUE = 1, _("blue (level IV)")
        YELLOW = 2, _("yellow (level III)")
        ORANGE = 3, _("orange (level II)")
        RED = 4, _("red (level I)")

    area_code = models.CharField(_("area"), max_length=15, db_index=True,
                                 help_text="division prefix (6, 9 or 12 digits) or grid code (15)")
    area_level = models.PositiveSmallIntegerField(_("area level"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="alerts")
    week_start = models.DateField(_("week"), db_index=True)
    method = models.CharField(_("method"), max_length=16)
    observed = models.PositiveIntegerField(_("observed"))
    expected = models.FloatField(_("expected"))
    threshold = models.FloatField(_("threshold"))
    pvalue = models.FloatField(_("p-value"))
    score = models.FloatField(_("exceedance score"))
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, db_index=True)
    discovered = models.PositiveIntegerField(_("discovered by police (not counted)"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN,
                              db_index=True)
    version = models.PositiveIntegerField(default=1)
    responder = models.CharField(_("responding unit"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week_start", "-level", "area_code"]
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        constraints = [models.UniqueConstraint(fields=["area_code", "category", "week_start"],
                                               name="alert_area_category_week")]

    def __str__(self) -> str:
        return f"{self.area_code} {self.category_id} {self.week_start} L{self.level}"


class Hotspot(models.Model):
    """A grid flagged by Getis-Ord Gi* (observed/expected ratios, BH across grids and categories)."""

    class Kind(models.TextChoices):
        HOT99 = "hot99", _("hotspot (99%)")
        HOT95 = "hot95", _("hotspot (95%)")
        COLD95 = "cold95", _("coldspot (95%)")
        COLD99 = "cold99", _("coldspot (99%)")

    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="hotspots")
    week_start = models.DateField(_("last week of the window"), db_index=True)
    weeks = models.PositiveSmallIntegerField(_("window (weeks)"))
    observed = models.PositiveIntegerField()
    expected = models.FloatField()
    z = models.FloatField()
    pvalue = models.FloatField()
    qvalue = models.FloatField(help_text="Benjamini-Hochberg adjusted, across all grids and categories")
    kind = models.CharField(max_length=8, choices=Kind.choices)

    class Meta:
        ordering = ["-week_start", "qvalue"]
        verbose_name = _("hotspot")
        verbose_name_plural = _("hotspots")
        constraints = [models.UniqueConstraint(fields=["grid_code", "category", "week_start"],
                                               name="hotspot_grid_category_week")]


class SafetyRun(models.Model):
    """One detection run (warnings for some weeks, then hotspots) done by the task worker in chunks
    (safety/runs.py): the districts' series, then the series of one street after another, then the
    hotspots. Each chunk commits with its checkpoint (``chunks_done``), so a crash loses at most
    one chunk and the next attempt resumes after the last committed one."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    weeks = models.JSONField(default=list, help_text="ISO Mondays of the weeks evaluated")
    first_week = models.DateField(null=True, blank=True, help_text="where every series begins (fixed at planning)")
    include_discovered = models.BooleanField(default=False, help_text="the guard setting when the run was planned")
    plan = models.JSONField(default=list, blank=True, help_text="the chunks: [area prefix, [levels]]")
    chunks_done = models.PositiveIntegerField(default=0)
    incremental = models.BooleanField(default=False, help_text="only series with incidents recorded since the "
                                                              "last run of these weeks (safety/runs.py)")
    since_id = models.BigIntegerField(null=True, blank=True, help_text="incremental: incidents with a larger id "
                                                                       "are new; null: every series")
    upto_id = models.BigIntegerField(null=True, blank=True, help_text="the largest incident id at planning")
    series_total = models.PositiveIntegerField(default=0)
    series_done = models.PositiveIntegerField(default=0)
    evaluated = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=dict, blank=True, help_text="warnings raised or updated, by level")
    hotspots = models.IntegerField(null=True, blank=True, help_text="grids flagged; null until that step is done")
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    message = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("detection run")
        verbose_name_plural = _("detection runs")

    def __str__(self) -> str:
        return f"run {self.pk} {self.state} {self.chunks_done}/{len(self.plan)}"


class SpecialCampaign(models.Model):
    """A special campaign (专项整治) against prominent problems in key areas: which areas and incident
    categories, when, who leads and takes part, what it aims at. Its effect is measured, not
    declared (safety/campaign_effect.py, docs/campaigns.md)."""

    title = models.CharField(_("title"), max_length=120)
    #: the division or grid codes of the campaign areas, all of the same level
    areas = models.JSONField(_("areas"), default=list)
    #: the longest code prefix the areas share: who may see the campaign follows from it
    area_code = models.CharField(_("jurisdiction"), max_length=15, db_index=True)
    categories = models.ManyToManyField(Category, related_name="campaigns", verbose_name=_("incident categories"))
    start = models.DateField(_("start (a Monday)"))
    end = models.DateField(_("end (a Sunday)"))
    lead_unit = models.CharField(_("lead unit"), max_length=120)
    participating_units = models.CharField(_("participating units"), max_length=300, blank=True)
    targets = models.TextField(_("targets"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("special campaign")
        verbose_name_plural = _("special campaigns")

    def __str__(self) -> str:
        return self.title


class CampaignAction(models.Model):
    """What the campaign did: inspections, patrols, cases handled, publicity — logged as it goes."""

    class Kind(models.TextChoices):
        INSPECTION = "inspection", _("inspections")
        PATROL = "patrol", _("patrols")
        CASE = "case", _("cases handled")
        PUBLICITY = "publicity", _("publicity and education")
        OTHER = "other", _("other actions")

    campaign = models.ForeignKey(SpecialCampaign, on_delete=models.CASCADE, related_name="actions")
    day = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    count = models.PositiveIntegerField(_("number"), default=1)
    note = models.CharField(_("note"), max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day", "id"]
