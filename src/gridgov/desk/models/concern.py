"""Public-concern response (网络新闻发言人、舆情引导应急响应; issue 20 §3).

A public concern is a MATTER of public discussion the centre must answer — a rumour, a cluster of
hotline calls about one issue, a news report — never a person. These tables hold the public text
and its source, the related cases, the spokesperson who answers (a member of staff) and the
statements published, which are the public record. They hold no identity of anyone who posted,
wrote or called: no link to the register, no poster's name, account, phone or address
(tests/desk/test_concern_model.py checks the fields). docs/services.md, "舆情回应".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.core.models import Versioned


class PublicConcern(Versioned):
    class Source(models.TextChoices):
        RUMOUR = "rumour", _("rumour circulating online")
        HOTLINE = "hotline", _("cluster of hotline calls")
        NEWS = "news", _("news report")
        OTHER = "other", _("other public discussion")

    class Status(models.TextChoices):
        OPEN = "open", _("awaiting first response")
        RESPONDING = "responding", _("responded, follow-up due")
        CLOSED = "closed", _("closed with a closing statement")

    title = models.CharField(_("subject"), max_length=120)
    public_text = models.TextField(_("what is being said (public text)"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    source_link = models.URLField(_("link to the public source"), max_length=500, blank=True)
    source_description = models.CharField(_("description of the source"), max_length=300, blank=True)
    # the area concerned: a division or grid code; who may see the item follows from it
    area_code = models.CharField(_("area"), max_length=15, db_index=True)
    spokesperson = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="concerns_answered", verbose_name=_("responsible spokesperson"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("recorded"))
    first_response_hours = models.PositiveSmallIntegerField(_("first response within (hours)"), default=4)
    follow_up_hours = models.PositiveSmallIntegerField(_("follow-up every (hours)"), default=24)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # the running clock: from clock_started_at to due_at (None once closed)
    clock_started_at = models.DateTimeField()
    due_at = models.DateTimeField(_("next statement due"), null=True, db_index=True)
    escalated_at = models.DateTimeField(_("escalated (overdue)"), null=True)
    closed_at = models.DateTimeField(_("closed"), null=True)
    related_cases = models.ManyToManyField("cases.Case", blank=True, related_name="public_concerns",
                                           verbose_name=_("related events"))

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("public concern")
        verbose_name_plural = _("public concerns")

    def __str__(self) -> str:
        return self.title


class Statement(models.Model):
    """A published statement: the public record. Never changed or deleted once published."""

    class Kind(models.TextChoices):
        FIRST = "first", _("first response")
        FOLLOW_UP = "follow_up", _("follow-up")
        CLOSING = "closing", _("closing statement")

    concern = models.ForeignKey(PublicConcern, on_delete=models.PROTECT, related_name="statements")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("statement"))
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("was due"))
    on_time = models.BooleanField(_("published on time"))

    class Meta:
        ordering = ["published_at", "id"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")


class ConcernEvent(models.Model):
    """The item's history: recorded, case linked, statement, escalated, closed."""

    class Kind(models.TextChoices):
        OPENED = "opened", pgettext_lazy("public concern event", "recorded")
        CASE_LINKED = "case_linked", _("event linked")
        STATEMENT = "statement", _("statement published")
        ESCALATED = "escalated", _("escalated (statement overdue)")
        CLOSED = "closed", _("closed")

    concern = models.ForeignKey(PublicConcern, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
