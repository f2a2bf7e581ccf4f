"""Events (事件): taxonomy, departments, cases, their tasks, timeline and attachments.

Data and invariants only: every write is in services.py, every read in selectors.py. Every row
holding case data carries the case's 15-digit ``grid_code`` (indexed) for scoping.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases import workflow


class Department(models.Model):
    """A handling department (区城管执法局, 街道城运中心 …). ``kind`` links it to the taxonomy's
    default handling departments; ``jurisdiction`` is the code prefix it serves."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=96, blank=True)
    kind = models.CharField(_("kind"), max_length=32, db_index=True,
                            help_text="department type named by categories, e.g. city_management")
    jurisdiction = models.CharField(_("jurisdiction"), max_length=15, db_index=True,
                                    help_text="code prefix this department serves")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["jurisdiction", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return f"{self.name} ({self.jurisdiction})"


class DepartmentMember(models.Model):
    """A handler of a department: sees and handles the cases dispatched to it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="department_links")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="members")

    class Meta:
        unique_together = [("user", "department")]
        verbose_name = _("department member")
        verbose_name_plural = _("department members")

    def __str__(self) -> str:
        return f"{self.user} @ {self.department}"


class Category(models.Model):
    """Two levels: a 大类 (parent null) and its 小类. Limits, departments and Open311 live on 小类."""

    class Domain(models.TextChoices):
        EVENT = "event", _("city-management event")
        COMPONENT = "component", _("city-management component")
        DISPUTE = "dispute", _("dispute")
        HAZARD = "hazard", _("public-safety hazard")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("normal")
        URGENT = "urgent", _("urgent")

    code = models.CharField(_("code"), max_length=16, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=96, blank=True)
    domain = models.CharField(_("domain"), max_length=16, choices=Domain.choices, default=Domain.EVENT)
    departments = models.JSONField(_("default departments"), default=list, blank=True,
                                   help_text="department kinds; the first leads, the others assist")
    stage_limits = models.JSONField(_("time limits"), default=dict, blank=True,
                                    help_text='per stage, e.g. {"handle": "3d", "verify": "4h"}')
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    duplicate_radius_m = models.PositiveIntegerField(_("duplicate radius (m)"), default=50)
    open311_code = models.CharField(_("Open311 service code"), max_length=32, null=True, blank=True, unique=True)
    public = models.BooleanField(_("public (Open311)"), default=False,
                                 help_text="offered to citizens and listed by Open311")
    # 公开: set by the centre (admin). Cases staff entered (grid worker, hotline, other systems) in
    # such a category are listed by Open311 too, coarsened like citizens' requests (docs/cases.md).
    publish_staff_reports = models.BooleanField(
        _("public: staff reports too"), default=False,
        help_text=_("Open311 also lists the cases staff entered in this category (address as the grid, "
                    "coordinates rounded, no description, no photo)"))
    attributes = models.JSONField(_("Open311 attributes"), default=list, blank=True)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_leaf(self) -> bool:
        return self.parent_id is not None


class Case(models.Model):
    class Channel(models.TextChoices):
        GRID = "grid", _("grid worker")
        HOTLINE = "hotline", _("hotline")
        OPEN311 = "open311", _("citizen (Open311)")
        API = "api", _("other system")

    class Supervision(models.TextChoices):
        NONE = "", _("none")
        YELLOW = "yellow", _("yellow card")
        RED = "red", _("red card")

    STATE_CHOICES = [(s, s) for s in workflow.STATES]

    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    # state and category: no index of their own, the composite indexes in Meta lead with them (every
    # index is one more insert per report)
    state = models.CharField(_("state"), max_length=16, choices=STATE_CHOICES, default=workflow.REPORTED)
    version = models.PositiveIntegerField(default=1)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases", db_index=False)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.GRID)
    description = models.TextField(_("description"), max_length=4000)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="reported_cases")
    caller_name = models.CharField(_("caller"), max_length=64, blank=True)
    caller_phone = models.CharField(_("callback number"), max_length=32, blank=True)
    client_uuid = models.UUIDField(null=True, blank=True, unique=True,
                                   help_text="offline submission key (idempotent retries)")
    payload_digest = models.CharField(max_length=64, blank=True)
    open311_token = models.UUIDField(null=True, blank=True, unique=True)
    # which api_key submitted an Open311 request. PROTECT: keys are revoked, never deleted, and
    # deleting one must not erase (SET_NULL) or cascade away the record of who submitted what.
    # No index of its own: the (open311_key, reported_at) index below leads with it.
    open311_key = models.ForeignKey("Open311Key", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="cases", db_index=False, verbose_name=_("Open311 key"))
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="duplicates")
    # the running stage and its clock
    stage = models.CharField(max_length=16, blank=True)
    stage_started_at = models.DateTimeField(null=True, blank=True)
    stage_limit_seconds = models.PositiveIntegerField(default=0)
    stage_deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    stage_escalated = models.BooleanField(default=False)
    # when the case rises again if the stage is still overdue (None: not escalated, or at the top)
    next_escalation_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # supervision and escalation
    supervision = models.CharField(max_length=8, choices=Supervision.choices, default="", blank=True)
    supervising_prefix = models.CharField(max_length=15, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    extension_request = models.JSONField(null=True, blank=True)
    # facts for evaluation
    reported_at = models.DateTimeField(default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_on_time = models.BooleanField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    overdue = models.BooleanField(default=False, help_text="a stage has ended past its limit")
    rework_count = models.PositiveSmallIntegerField(default=0)
    sendback_count = models.PositiveSmallIntegerField(default=0)
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 (very dissatisfied) .. 5")
    public_note = models.CharField(max_length=500, blank=True, help_text="status note shown to the public")

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["category", "state"], name="case_category_state"),
                   models.Index(fields=["state", "grid_code"], name="case_state_grid"),
                   # duplicate suggestions at report time: same 小类, a narrow lon/lat box
                   models.Index(fields=["category", "lon", "lat"], name="case_category_lon_lat"),
                   # the Open311 rate limit: a key's cases of the last hour (only Open311 cases are
                   # in it: a grid worker's report adds no entry)
                   models.Index(fields=["open311_key", "reported_at"], name="case_open311_key_reported",
                                condition=models.Q(open311_key__isnull=False))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category_id} {self.state}"


class CaseTask(models.Model):
    """One department's share of a case: the lead or an assisting department (大联勤大联动)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("lead")
        ASSIST = "assist", _("assisting")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        RETURNED = "returned", _("sent back")
        CANCELLED = "cancelled", _("cancelled")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    grid_code = models.CharField(max_length=15, db_index=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="tasks")
    role = models.CharField(max_length=8, choices=Role.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    instructions = models.TextField(blank=True)
    limit = models.CharField(max_length=12, blank=True)
    assigned_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(blank=True)

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")


class CalendarYear(models.Model):
    """A year whose OFFICIAL holiday schedule (国务院办公厅放假安排) was imported (`gridgov calendar
    import`): its days are the imported ``CalendarDay`` rows and Monday to Friday otherwise. A year
    neither imported nor in the holiday package is provisional (cases/holidays.py)."""

    year = models.PositiveSmallIntegerField(unique=True)
    loaded_at = models.DateTimeField(default=timezone.now)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    source = models.CharField(max_length=120, blank=True, help_text="file name of the imported schedule")
    days = models.PositiveSmallIntegerField(default=0, help_text="holidays and working days in the file")

    class Meta:
        ordering = ["year"]
        verbose_name = _("official calendar year")
        verbose_name_plural = _("official calendar years")

    def __str__(self) -> str:
        return str(self.year)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("case events are append-only")

    def delete(self):
        raise TypeError("case events are append-only")


class CaseEvent(models.Model):
    """The timeline: one row per transition or note (who, when, from, to, note). Append-only.
    Deleting a case (demo reset) removes its timeline through the database cascade."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    grid_code = models.CharField(max_length=15, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=24)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)
    public = models.BooleanField(default=False, help_text="shown in Open311 notes")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("case events are append-only")
        super().save(*args, **kwargs)


class Attachment(models.Model):
    """A photo. ``path`` is the original (staff only); ``public_path`` has every metadata block
    (EXIF, GPS, XMP, ICC comments) removed and is the only version shown to the public."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    grid_code = models.CharField(max_length=15, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    content_type = models.CharField(max_length=16)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=255)
    public_path = models.CharField(max_length=255)
    public_token = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]


class Open311Key(models.Model):
    """An Open311 api_key (for POST requests). Only the SHA-256 digest is stored. Each case it
    submits records it (``Case.open311_key``); ``max_per_hour`` limits its submissions."""

    name = models.CharField(max_length=64)
    prefix = models.CharField(max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    max_per_hour = models.PositiveIntegerField(_("requests per hour"), default=600,
                                               help_text="cases this key may submit in any hour; 0 = unlimited")

    class Meta:
        verbose_name = _("Open311 key")
        verbose_name_plural = _("Open311 keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class CalendarDay(models.Model):
    """Overrides the holiday package for one date (a new year's table, a local adjustment)."""

    date = models.DateField(unique=True)
    workday = models.BooleanField(_("working day"))
    note = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.workday else 'holiday'}"
