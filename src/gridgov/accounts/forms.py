"""The filter form of the audit page (and of its CSV export: the same query string)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.accounts.labels import ACTION_LABELS, OUTCOME_LABELS, object_type_label


class AuditFilterForm(forms.Form):
    """Dates are local calendar days (``settings.TIME_ZONE``, Asia/Shanghai): ``since`` from its
    midnight, ``until`` to the end of its day, both inclusive."""

    since = forms.DateField(label=_("From (date)"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    until = forms.DateField(label=_("To (date)"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    actor = forms.CharField(label=_("Actor (user name)"), required=False, max_length=150)
    action = forms.ChoiceField(label=pgettext_lazy("audit", "Action"), required=False,
                               choices=[("", _("all")), *ACTION_LABELS.items()])
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=64,
                                  widget=forms.TextInput(attrs={"list": "audit-object-types"}))
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    outcome = forms.ChoiceField(label=pgettext_lazy("audit", "Outcome"), required=False,
                                choices=[("", _("all")), *OUTCOME_LABELS.items()])

    def clean_object_type(self) -> str:
        return self.cleaned_data["object_type"].strip()

    def clean_object_id(self) -> str:
        return self.cleaned_data["object_id"].strip()

    def clean_actor(self) -> str:
        return self.cleaned_data["actor"].strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def selector_filters(self) -> dict[str, Any]:
        """Keyword arguments of ``selectors.audit_list`` (call after ``is_valid()``)."""
        data = self.cleaned_data
        zone = ZoneInfo(settings.TIME_ZONE)
        since = datetime.combine(data["since"], time(), zone) if data.get("since") else None
        until = datetime.combine(data["until"] + timedelta(days=1), time(), zone) if data.get("until") else None
        return {"since": since, "until": until, "actor_username": data.get("actor") or None,
                "action": data.get("action") or None, "object_type": data.get("object_type") or None,
                "object_id": data.get("object_id") or None, "outcome": data.get("outcome") or None}

    def described(self) -> dict[str, str]:
        """The filters in force, as the audit row of an export records them."""
        return {k: (v.isoformat() if hasattr(v, "isoformat") else str(v))
                for k, v in self.cleaned_data.items() if v}


def object_type_choices(codes: list[str]) -> list[tuple[str, str]]:
    return [(c, object_type_label(c)) for c in codes]
