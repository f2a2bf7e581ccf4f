"""The responsibility system (责任制) and supervision (督办). Data and invariants only.

- ``ResponsibleOfficial``: who answers for an area's public-safety situation (the police station
  head, 派出所所长, and the street's deputy party secretary, 街镇党(工)委副书记, per the seed; other
  posts from the code table ``POSTS``), with a term of office.
- ``ScorecardWeights``: a district's weights of the monthly scorecard indicators (command/scorecard.py).
- ``SupervisoryAction``: a 通报 / 约谈 / 挂牌督办 against an area (a division prefix) or a
  department, with its reason, deadline and closure; ``SupervisoryEvent`` keeps its history.

Every row carries ``area_code`` (a division prefix), the key of the jurisdiction filter.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

#: posts of responsible officials (code table: code, 中文, English)
POSTS: tuple[tuple[str, str, str], ...] = (
    ("police_head", "派出所所长", "Police station head"),
    ("deputy_secretary", "街镇党(工)委副书记", "Deputy party secretary of the street or town"),
    ("centre_director", "综治中心主任", "Director of the command centre"),
    ("district_secretary", "区委政法委书记", "Secretary of the district political-legal committee"),
    ("99", "其他", "Other"),
)


class Post(models.TextChoices):
    POLICE_HEAD = "police_head", _("police station head")
    DEPUTY_SECRETARY = "deputy_secretary", _("deputy party secretary of the street or town")
    CENTRE_DIRECTOR = "centre_director", _("director of the command centre")
    DISTRICT_SECRETARY = "district_secretary", _("secretary of the district political-legal committee")
    OTHER = "99", _("other")


class ResponsibleOfficial(models.Model):
    area_code = models.CharField(_("area"), max_length=12, db_index=True,
                                 help_text="significant division code: district 6 or street 9 digits")
    post = models.CharField(_("post"), max_length=24, choices=Post.choices)
    person_name = models.CharField(_("name"), max_length=64)
    unit = models.CharField(_("unit"), max_length=100)
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["area_code", "post", "-term_start"]
        verbose_name = _("responsible official")
        verbose_name_plural = _("responsible officials")
        constraints = [
            models.CheckConstraint(condition=models.Q(term_end__isnull=True) | models.Q(term_end__gte=models.F("term_start")),
                                   name="command_official_term_order"),
        ]

    def __str__(self) -> str:
        return f"{self.area_code} {self.post} {self.person_name}"


class ScorecardWeights(models.Model):
    """One row per district (6-digit prefix). ``weights``: {indicator key: non-negative number}."""

    district_code = models.CharField(_("district"), max_length=6, unique=True)
    weights = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("scorecard weights")
        verbose_name_plural = _("scorecard weights")


class SupervisoryAction(models.Model):
    class Kind(models.TextChoices):
        NOTICE = "notice", _("notice")
        INTERVIEW = "interview", _("interview")
        LISTED = "listed", _("listed supervision")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("supervision status", "open")
        CLOSED = "closed", pgettext_lazy("supervision status", "closed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    area_code = models.CharField(_("area"), max_length=12, db_index=True,
                                 help_text="the area supervised, or the jurisdiction of the department")
    department = models.ForeignKey("cases.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    title = models.CharField(_("title"), max_length=120)
    reason = models.TextField(_("reason"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closure_note = models.TextField(_("closure"), blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["status", "deadline", "id"]
        verbose_name = _("supervisory action")
        verbose_name_plural = _("supervisory actions")
        indexes = [models.Index(fields=["area_code", "status"], name="command_sup_area_status")]

    def __str__(self) -> str:
        return f"{self.kind} {self.area_code} {self.title}"


class SupervisoryEvent(models.Model):
    """One step of a supervisory action's history (issued, progress note, closed)."""

    action = models.ForeignKey(SupervisoryAction, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12)  # issued | note | closed
    note = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
