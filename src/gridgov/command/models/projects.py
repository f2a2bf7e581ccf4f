"""The base-level project list (项目清单): projects, their milestones, progress notes with photos,
and the history of every change. Rules (statuses, transitions, deadline colour) in project_rules.py;
every write in project_services.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.core.models import Versioned


class Project(Versioned):
    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("project status", "planned")
        IN_PROGRESS = "in_progress", pgettext_lazy("project status", "in progress")
        DONE = "done", pgettext_lazy("project status", "done")
        SUSPENDED = "suspended", pgettext_lazy("project status", "suspended")
        CANCELLED = "cancelled", pgettext_lazy("project status", "cancelled")

    title = models.CharField(_("project"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    owner_name = models.CharField(_("responsible person"), max_length=64)
    owner_unit = models.CharField(_("responsible unit"), max_length=128)
    area_code = models.CharField(_("area code"), max_length=15, db_index=True,
                                 help_text="significant division code of the responsible area (6, 9 or 12 digits)")
    category = models.CharField(_("category"), max_length=4, help_text="code of data/project_categories.json")
    is_key = models.BooleanField(_("promised project of the year"), default=False, help_text="one of the year's promised items")
    key_year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    start_date = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    done_on = models.DateField(_("completed on"), null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        indexes = [models.Index(fields=["status", "deadline"], name="project_status_deadline")]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    due_date = models.DateField(_("due"))
    done_on = models.DateField(_("completed on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "id"]


class ProgressNote(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("progress"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    author_name = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class ProjectPhoto(models.Model):
    """A photo of a progress note, stored as cases stores attachments (type checked by content,
    at most 10 MB), metadata (EXIF, GPS) removed before it is written."""

    note = models.ForeignKey(ProgressNote, on_delete=models.CASCADE, related_name="photos")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="photos")
    content_type = models.CharField(max_length=16)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]


class ProjectChange(models.Model):
    """The history of a project: one row per change (created, edited, status, milestone, note,
    imported), with what changed. The audit trail holds the same writes (core.audit)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=32)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]
