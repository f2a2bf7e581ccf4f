"""Community defence (社区村庄防范网): teams of residents, their members (contact masked on every
read), the duty rota and the activity logs from which defence-team hours per grid follow."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DefenceTeam(models.Model):
    class Kind(models.TextChoices):
        BUILDING_HEADS = "building_heads", _("building heads")
        VOLUNTEERS = "volunteers", _("safety volunteers")
        WATCH = "watch", _("neighbourhood watch")
        MILITIA = "militia", _("militia")

    code = models.CharField(_("team code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True,
                                 help_text="the grid the team is based in")
    leader_name = models.CharField(_("leader"), max_length=64, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["grid_code", "code"]
        verbose_name = _("defence team")
        verbose_name_plural = _("defence teams")

    def __str__(self) -> str:
        return self.name


class DefenceMember(models.Model):
    team = models.ForeignKey(DefenceTeam, on_delete=models.CASCADE, related_name="members")
    grid_code = models.CharField(max_length=15, db_index=True)
    name = models.CharField(_("name"), max_length=64)
    phone = models.CharField(_("phone"), max_length=32, blank=True, help_text="masked on every read")
    role = models.CharField(_("role in team"), max_length=32, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["team", "name", "id"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")


class DefenceDuty(models.Model):
    """One rota line: a member (or the whole team) on duty on a weekday between two times."""

    team = models.ForeignKey(DefenceTeam, on_delete=models.CASCADE, related_name="duties")
    member = models.ForeignKey(DefenceMember, null=True, blank=True, on_delete=models.CASCADE, related_name="duties")
    weekday = models.PositiveSmallIntegerField(_("weekday"), help_text="1 = Monday … 7 = Sunday")
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))

    class Meta:
        ordering = ["team", "weekday", "start"]
        verbose_name = _("duty rota line")
        verbose_name_plural = _("duty rota")


class DefenceActivity(models.Model):
    team = models.ForeignKey(DefenceTeam, on_delete=models.PROTECT, related_name="activities")
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    hours = models.FloatField(_("hours"))
    people = models.PositiveSmallIntegerField(_("people"), default=1)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("defence activity")
        verbose_name_plural = _("defence activities")
        constraints = [models.CheckConstraint(condition=models.Q(hours__gt=0), name="defenceactivity_hours_positive")]
