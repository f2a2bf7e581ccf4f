"""Names a person reads for the codes of the audit trail (actions, outcomes, object types).

The codes stay what the rows hold; pages and exports show these names, with the code in small type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import pgettext, pgettext_lazy

ACTION_LABELS: dict[str, object] = {
    "LOGIN": pgettext_lazy("audit action", "sign-in"),
    "LOGIN_FAILED": pgettext_lazy("audit action", "failed sign-in"),
    "LOCKOUT": pgettext_lazy("audit action", "account locked"),
    "LOGOUT": pgettext_lazy("audit action", "sign-out"),
    "READ": pgettext_lazy("audit action", "view"),
    "CREATE": pgettext_lazy("audit action", "create"),
    "UPDATE": pgettext_lazy("audit action", "change"),
    "DELETE": pgettext_lazy("audit action", "delete"),
    "EXPORT": pgettext_lazy("audit action", "export"),
    "IMPORT": pgettext_lazy("audit action", "import"),
    "REVEAL": pgettext_lazy("audit action", "view full number"),
    "DENIED": pgettext_lazy("audit action", "access refused"),
    "TRANSITION": pgettext_lazy("audit action", "workflow step"),
}

OUTCOME_LABELS: dict[str, object] = {
    "success": pgettext_lazy("audit outcome", "success"),
    "failure": pgettext_lazy("audit outcome", "failure"),
    "denied": pgettext_lazy("audit outcome", "refused"),
}

#: Object types written by the services (``object_type`` of ``audit_write``); an unknown one is
#: shown as its code.
OBJECT_TYPE_LABELS: dict[str, object] = {
    "user": pgettext_lazy("audit object", "user"),
    "user.password": pgettext_lazy("audit object", "user password"),
    "user.session": pgettext_lazy("audit object", "sign-in sessions"),
    "membership": pgettext_lazy("audit object", "membership"),
    "api_token": pgettext_lazy("audit object", "API token"),
    "user.totp": pgettext_lazy("audit object", "authenticator (two-factor sign-in)"),
    "user.recovery_code": pgettext_lazy("audit object", "recovery code"),
    "user.recovery_codes": pgettext_lazy("audit object", "recovery codes (new set)"),
    "user.step_up": pgettext_lazy("audit object", "identity confirmed again (step-up)"),
    "registry.person": pgettext_lazy("audit object", "resident"),
    "registry.persons": pgettext_lazy("audit object", "residents (list or import)"),
    "registry.person.id_hmac": pgettext_lazy("audit object", "identity number index"),
    "registry.house": pgettext_lazy("audit object", "house"),
    "registry.houses": pgettext_lazy("audit object", "houses (list or import)"),
    "registry.organisation": pgettext_lazy("audit object", "organisation"),
    "registry.orgs": pgettext_lazy("audit object", "organisations (import)"),
    "registry.organisations": pgettext_lazy("audit object", "organisations (list)"),
    "registry.residencepermit": pgettext_lazy("audit object", "residence permit"),
    "registry.rentalregistration": pgettext_lazy("audit object", "rental registration"),
    "registry.duplicatecandidate": pgettext_lazy("audit object", "possible duplicate"),
    "quality.reconciliation": pgettext_lazy("audit object", "reconciliation with another list"),
    "quality.worklist": pgettext_lazy("audit object", "reconciliation worklist"),
    "quality.worklist_item": pgettext_lazy("audit object", "reconciliation worklist item"),
    "audit": pgettext_lazy("audit object", "audit trail"),
    "case": pgettext_lazy("audit object", "event"),
    "case_task": pgettext_lazy("audit object", "event task"),
    "case_attachment": pgettext_lazy("audit object", "event attachment"),
    "case_category": pgettext_lazy("audit object", "event category"),
    "case_scorecard": pgettext_lazy("audit object", "event scorecard"),
    "department": pgettext_lazy("audit object", "department"),
    "department_member": pgettext_lazy("audit object", "department member"),
    "open311_key": pgettext_lazy("audit object", "Open311 key"),
    "calendar_day": pgettext_lazy("audit object", "working calendar day"),
    "grid": pgettext_lazy("audit object", "grid"),
    "incident": pgettext_lazy("audit object", "incident"),
    "safety_alert": pgettext_lazy("audit object", "safety warning"),
    "safety_config": pgettext_lazy("audit object", "safety settings"),
    "safety_run": pgettext_lazy("audit object", "detection run"),
    "safety_hotspots": pgettext_lazy("audit object", "hotspots"),
    "prevention_plan": pgettext_lazy("audit object", "weekly patrol plan"),
    "prevention_staffing": pgettext_lazy("audit object", "police staffing numbers"),
    "care.alert": pgettext_lazy("audit object", "care alert"),
    "care.contact": pgettext_lazy("audit object", "care contact"),
    "care.handover": pgettext_lazy("audit object", "care hand-over"),
    "care.investigation": pgettext_lazy("audit object", "pre-sentence investigation"),
    "care.joint_task": pgettext_lazy("audit object", "joint task"),
    "care.legal_query": pgettext_lazy("audit object", "legal query"),
    "care.provider": pgettext_lazy("audit object", "care provider"),
    "care.referral": pgettext_lazy("audit object", "care referral"),
    "care.resettlement_outcome": pgettext_lazy("audit object", "resettlement outcome"),
    "care.team_member": pgettext_lazy("audit object", "care team member"),
    "care.corrections": pgettext_lazy("audit object", "community corrections file"),
    "care.resettlement": pgettext_lazy("audit object", "resettlement file"),
    "care.rehabilitation": pgettext_lazy("audit object", "drug rehabilitation file"),
    "care.youth": pgettext_lazy("audit object", "youth file"),
    "care.street_children": pgettext_lazy("audit object", "street children file"),
    "care.mental_health": pgettext_lazy("audit object", "mental health file"),
    "care.worklist": pgettext_lazy("audit object", "care worklist"),
    "care.transfer": pgettext_lazy("audit object", "care transfer"),
    "care.statistics": pgettext_lazy("audit object", "care statistics"),
    "calendar": pgettext_lazy("audit object", "working calendar (official schedule)"),
    "desk.request": pgettext_lazy("audit object", "desk request"),
    "desk.permit_application": pgettext_lazy("audit object", "residence permit application"),
    "desk.permit_reminder": pgettext_lazy("audit object", "residence permit renewal reminders"),
    "desk.residence_registration": pgettext_lazy("audit object", "residence registration"),
    "desk.referral": pgettext_lazy("audit object", "service referral"),
    "desk.project": pgettext_lazy("audit object", "social-work project"),
    "desk.output_record": pgettext_lazy("audit object", "social-work project output"),
    "registry.person_search": pgettext_lazy("audit object", "resident search"),
    "quality.campaign": pgettext_lazy("audit object", "verification campaign"),
    "quality.assignment": pgettext_lazy("audit object", "verification visit assignment"),
    "quality.visit": pgettext_lazy("audit object", "verification visit"),
    "quality.correction": pgettext_lazy("audit object", "register correction from a visit"),
}


#: Reasons the system itself writes (in English, as stored; the reasons people type are shown as
#: typed). The page shows these names; the stored text stays in the row and the CSV export.
REASON_LABELS: dict[str, object] = {
    "authenticator code": pgettext_lazy("audit reason", "authenticator code"),
    "recovery code used": pgettext_lazy("audit reason", "recovery code used"),
    "wrong second-factor code": pgettext_lazy("audit reason", "wrong second-factor code"),
    "too many wrong codes, refused while waiting": pgettext_lazy(
        "audit reason", "too many wrong codes, refused while waiting"),
    "password": pgettext_lazy("audit reason", "password"),
    "wrong authenticator code at enrolment": pgettext_lazy("audit reason", "wrong authenticator code at enrolment"),
    "no enrolment in progress": pgettext_lazy("audit reason", "no enrolment in progress"),
    "authenticator enrolled": pgettext_lazy("audit reason", "authenticator enrolled"),
    "demo authenticator (documented demo secret)": pgettext_lazy(
        "audit reason", "demo authenticator (documented demo secret)"),
    "unknown user or wrong password": pgettext_lazy("audit reason", "unknown user or wrong password"),
    "inactive account": pgettext_lazy("audit reason", "inactive account"),
    "account locked": pgettext_lazy("audit reason", "account locked"),
    "current password wrong": pgettext_lazy("audit reason", "current password wrong"),
    "changed by the user": pgettext_lazy("audit reason", "changed by the user"),
    "changed by the user after a reset": pgettext_lazy("audit reason", "changed by the user after a reset"),
    "reset by an administrator; must change at next sign-in": pgettext_lazy(
        "audit reason", "reset by an administrator; must change at next sign-in"),
    "the user signed out everywhere else": pgettext_lazy("audit reason", "the user signed out everywhere else"),
    "the user ended one of their sessions": pgettext_lazy("audit reason", "the user ended one of their sessions"),
    "an administrator ended the user's sessions": pgettext_lazy(
        "audit reason", "an administrator ended the user's sessions"),
    "statement overdue": pgettext_lazy("audit reason", "statement overdue"),
    "overdue stage escalated": pgettext_lazy("audit reason", "overdue stage escalated"),
    "new residence in the register": pgettext_lazy("audit reason", "new residence in the register"),
    "enrolment closed": pgettext_lazy("audit reason", "enrolment closed"),
    "retention": pgettext_lazy("audit reason", "retention period over"),
    "transfer": pgettext_lazy("audit reason", "transfer"),
    "team member": pgettext_lazy("audit reason", "team member"),
    "renewed": pgettext_lazy("audit reason", "renewed"),
    "merged": pgettext_lazy("audit reason", "merged"),
    "import": pgettext_lazy("audit reason", "import"),
}
#: The two purposes of a second-factor check ("sign-in: authenticator code").
_PURPOSES = {"sign-in": pgettext_lazy("audit reason", "sign-in"), "step-up": pgettext_lazy("audit reason", "step-up")}
_PATTERNS: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(r"(\d+) consecutive failures; locked until (\S+)$"),
     lambda m: pgettext("audit reason", "%(n)s consecutive failures; locked until %(until)s")
     % {"n": m.group(1), "until": _local_minute(m.group(2))}),
    (re.compile(r"transfer (\d+) accepted$"),
     lambda m: pgettext("audit reason", "transfer %(id)s accepted") % {"id": m.group(1)}),
    (re.compile(r"retention: closed more than (\d+) days ago$"),
     lambda m: pgettext("audit reason", "retention: closed more than %(days)s days ago") % {"days": m.group(1)}),
    (re.compile(r"legal query (\d+): (.*)$", re.S),
     lambda m: pgettext("audit reason", "legal query %(id)s: %(basis)s") % {"id": m.group(1), "basis": m.group(2)}),
    (re.compile(r"eligibility override: (.*)$", re.S),
     lambda m: pgettext("audit reason", "eligibility override: %(text)s") % {"text": m.group(1)}),
    (re.compile(r"break-glass: (.*)$", re.S),
     lambda m: pgettext("audit reason", "emergency access: %(text)s") % {"text": m.group(1)}),
]


def _local_minute(iso: str) -> str:
    """An ISO time as the pages show times (local time, to the minute); unreadable text as it is."""
    try:
        return timezone.localtime(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


_RECORDS = re.compile(r"(\d+) records$")


def reason_label(text: str) -> str:
    """The reason as a person reads it: a reason the system wrote, in the user's language; any
    other (typed by a person) as it is."""
    if not text:
        return text
    if text in REASON_LABELS:
        return str(REASON_LABELS[text])
    purpose, sep, rest = text.partition(": ")
    if sep and purpose in _PURPOSES and rest in REASON_LABELS:
        return pgettext("audit reason", "%(purpose)s: %(reason)s") % {
            "purpose": _PURPOSES[purpose], "reason": REASON_LABELS[rest]}
    for pattern, name in _PATTERNS:
        m = pattern.match(text)
        if m:
            return name(m)
    return text


def object_id_label(object_id: str) -> str:
    """An object id as a person reads it: "12 records" (a list read) as "12 条"."""
    m = _RECORDS.match(object_id or "")
    return pgettext("audit object id", "%(n)s records") % {"n": m.group(1)} if m else object_id


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def outcome_label(code: str) -> str:
    return str(OUTCOME_LABELS.get(code, code))


def object_type_label(code: str) -> str:
    if code in OBJECT_TYPE_LABELS:
        return str(OBJECT_TYPE_LABELS[code])
    base, _, last = code.rpartition(".")
    if last == "statistics" and base in OBJECT_TYPE_LABELS:  # care.<programme>.statistics
        return f"{OBJECT_TYPE_LABELS[base]}（{OBJECT_TYPE_LABELS['care.statistics']}）"
    return code


# --- names of jurisdictions -------------------------------------------------------------------
# accounts sits below geo (it cannot import it); geo registers its name lookup here when it is
# installed (``GeoConfig.ready``). Without it, codes are shown as they are.
_jurisdiction_namer: Callable[[set[str]], dict[str, str]] | None = None


def register_jurisdiction_namer(namer: Callable[[set[str]], dict[str, str]]) -> None:
    global _jurisdiction_namer
    _jurisdiction_namer = namer


def jurisdiction_names(codes: set[str]) -> dict[str, str]:
    """Code prefix (division or grid) -> its name, for those known."""
    codes = {c for c in codes if c}
    if not codes or _jurisdiction_namer is None:
        return {}
    return _jurisdiction_namer(codes)
