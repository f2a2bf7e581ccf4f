"""Names a person reads for the codes of the audit trail (actions, outcomes, object types).

The codes stay what the rows hold; pages and exports show these names, with the code in small type.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import pgettext_lazy

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
