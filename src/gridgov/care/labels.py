"""Names of the care module's stored codes (statuses, contact kinds, timeline entries), for pages.

The stored values (``active``, ``report_in`` …) stay the API's stable codes; a person reads these
names. Each has a message context: the same English word means something else in another module."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

LABELS: dict[str, dict[str, object]] = {
    "enrolment_status": {
        "active": pgettext_lazy("care enrolment status", "active"),
        "completed": pgettext_lazy("care enrolment status", "completed"),
        "cancelled": pgettext_lazy("care enrolment status", "cancelled"),
    },
    "contact_kind": {
        "report_in": pgettext_lazy("care contact kind", "report-in"),
        "visit": pgettext_lazy("care contact kind", "home visit"),
        "phone": pgettext_lazy("care contact kind", "phone call"),
    },
    "contact_status": {
        "scheduled": pgettext_lazy("care contact status", "scheduled"),
        "overdue": pgettext_lazy("care contact status", "overdue"),
        "completed": pgettext_lazy("care contact status", "completed"),
        "skipped": pgettext_lazy("care contact status", "skipped"),
    },
    "task_status": {
        "open": pgettext_lazy("care task status", "open"),
        "done": pgettext_lazy("care task status", "done"),
    },
    "referral_status": {
        "requested": pgettext_lazy("care referral status", "requested"),
        "accepted": pgettext_lazy("care referral status", "accepted"),
        "declined": pgettext_lazy("care referral status", "declined"),
        "completed": pgettext_lazy("care referral status", "completed"),
        "cancelled": pgettext_lazy("care referral status", "cancelled"),
    },
    "alert_status": {
        "open": pgettext_lazy("care alert status", "open"),
        "resolved": pgettext_lazy("care alert status", "resolved"),
    },
    "access": {
        "breakglass": pgettext_lazy("care file access", "break-glass access"),
        "legal_query": pgettext_lazy("care file access", "a legal query (sealed record)"),
    },
    "timeline": {
        "enrolled": pgettext_lazy("care timeline", "enrolled"),
        "contact_report_in": pgettext_lazy("care timeline", "reported in"),
        "contact_visit": pgettext_lazy("care timeline", "home visit"),
        "contact_phone": pgettext_lazy("care timeline", "phone call"),
        "contact_skipped": pgettext_lazy("care timeline", "contact skipped"),
        "referral": pgettext_lazy("care timeline", "referral"),
        "referral_accepted": pgettext_lazy("care timeline", "referral accepted"),
        "referral_declined": pgettext_lazy("care timeline", "referral declined"),
        "referral_completed": pgettext_lazy("care timeline", "referral completed"),
        "referral_cancelled": pgettext_lazy("care timeline", "referral cancelled"),
        "referral_requested": pgettext_lazy("care timeline", "referral"),
        "alert_missed_report": pgettext_lazy("care timeline", "alert: missed report-in (漏管)"),
        "alert_absent": pgettext_lazy("care timeline", "alert: absent from supervision (脱管)"),
        "alert_resolved": pgettext_lazy("care timeline", "alert resolved"),
        "resettlement": pgettext_lazy("care timeline", "resettlement"),
        "completed": pgettext_lazy("care timeline", "case closed"),
        "cancelled": pgettext_lazy("care timeline", "enrolment cancelled"),
    },
}


def label(table: str, code: str) -> str:
    """The name of ``code`` in ``table``; a joint task ``task_<agency>`` is "agency task"; an unknown
    code is shown as it is (a stored value no table names yet must still be visible)."""
    if table == "timeline" and code.startswith("task_"):
        return str(pgettext_lazy("care timeline", "agency task done"))
    value = LABELS.get(table, {}).get(code)
    return str(value) if value is not None else code
