"""Capabilities (what a role may do) and the seeded roles, as data.

A capability is separate from jurisdiction: seeing a record needs both the place (a membership
whose code prefix covers the record's grid code) and the capability.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

CAPABILITIES: dict[str, object] = {
    "geo.view": _("view divisions, grids and the map"),
    "geo.manage": _("import and edit divisions and grids"),
    "registry.view": _("view residents, houses and organisations"),
    "registry.edit": _("register and update residents, houses and organisations"),
    "registry.reveal": _("reveal full identity numbers (with a reason, audited)"),
    "cases.view": _("view events"),
    "cases.report": _("report events"),
    "cases.dispatch": _("accept, register and dispatch events"),
    "cases.handle": _("handle dispatched events"),
    "cases.evaluate": _("verify, close and evaluate events"),
    "safety.view": _("view the public-safety situation"),
    "safety.manage": _("record incidents and manage warnings"),
    "prevention.view": _("view the prevention networks and the risk-coverage gap"),
    "prevention.log": _("log patrols and defence-team activity"),
    "prevention.manage": _("manage the prevention networks (units, teams, venues, cameras, imports)"),
    "care.corrections": _("community corrections case files"),
    "care.resettlement": _("resettlement after release case files"),
    "care.rehabilitation": _("community drug rehabilitation case files"),
    "care.youth": _("youth case files"),
    "care.street_children": _("street children joint cases"),
    "care.mental_health": _("severe mental illness case files"),
    "command.view": _("command centre dashboard and scorecards"),
    "command.projects": _("keep the base-level project list (create, update, import projects)"),
    "command.supervise": _("issue supervisory actions, set scorecard weights and record responsible officials"),
    "desk.intake": _("one-stop desk: receive, route and close residents' requests"),
    "desk.migrants": _("review and issue residence permits; service referrals and social-work projects"),
    "quality.design": _("design registration-quality verification campaigns and draw their samples"),
    "desk.concern": _("answer public concerns: record them and publish statements"),
    "quality.reconcile": _("reconcile an external list with the register (Splink) and read its results"),
    "quality.verify": _("verify reconciliation worklist items by a visit (confirm or reject)"),
    "quality.view": _("view registration-quality campaigns and their estimates"),
    "quality.visit": _("visit the sampled houses of verification campaigns"),
    "audit.view": _("read the audit trail (no resident data)"),
    "accounts.manage": _("manage users, roles and memberships"),
}

CARE = [c for c in CAPABILITIES if c.startswith("care.")]
_PREVENTION_ALL = ["prevention.view", "prevention.log", "prevention.manage"]
_CASES_ALL = ["cases.view", "cases.report", "cases.dispatch", "cases.handle", "cases.evaluate"]

# what every 综治中心 (street and district) does beyond events and safety
_CENTRE = ("command.view", "command.projects", "command.supervise", "quality.view", "quality.design", "quality.reconcile",
           "desk.concern", *_PREVENTION_ALL)


@dataclass(frozen=True)
class RoleDefinition:
    code: str
    name: str
    name_en: str
    capabilities: tuple[str, ...]
    demo_jurisdiction: str  # where the demo user of this role sits (People's Square, 黄浦区)


ROLES: tuple[RoleDefinition, ...] = (
    RoleDefinition("city_admin", "市级管理员", "City administrator",
                   ("geo.view", "geo.manage", "registry.view", "cases.view", "safety.view", "command.view",
                    "accounts.manage"), "31"),
    RoleDefinition("district_centre", "区综治中心", "District command centre",
                   ("geo.view", "registry.view", "registry.reveal", *_CASES_ALL, "safety.view", "safety.manage",
                    *_CENTRE), "310101"),
    RoleDefinition("street_centre", "街镇综治中心", "Street centre staff",
                   ("geo.view", "registry.view", "registry.edit", "registry.reveal", *_CASES_ALL, "safety.view",
                    *_CENTRE, "desk.intake", "desk.migrants"), "310101"),
    RoleDefinition("desk_officer", "综治中心窗口人员", "Centre desk officer",
                   ("geo.view", "registry.view", "registry.edit", "cases.view", "cases.report", "desk.intake",
                    "desk.migrants"), "310101"),
    RoleDefinition("community_staff", "居村工作人员", "Community staff",
                   ("geo.view", "registry.view", "registry.edit", "cases.view", "cases.report", "cases.evaluate",
                    "quality.visit"),
                   "310101"),
    RoleDefinition("grid_worker", "网格员", "Grid worker",
                   ("geo.view", "registry.view", "registry.edit", "cases.view", "cases.report", "cases.evaluate",
                    "prevention.view", "prevention.log", "quality.verify", "quality.visit"),
                   "310101"),
    RoleDefinition("department_handler", "部门处置人员", "Department handler",
                   ("geo.view", "cases.view", "cases.handle"), "310101"),
    RoleDefinition("police_officer", "派出所民警", "Police station officer",
                   ("geo.view", "registry.view", "safety.view", "safety.manage", "cases.view",
                    "care.street_children", *_PREVENTION_ALL), "310101"),
    RoleDefinition("city_management", "城管执法人员", "City management officer",
                   ("geo.view", "registry.view", "cases.view", "cases.handle", "care.street_children"), "310101"),
    RoleDefinition("social_worker", "社工", "Social worker",
                   ("geo.view", "registry.view", *CARE), "310101"),
    RoleDefinition("auditor", "审计员", "Auditor", ("audit.view",), "31"),
)


def role_definition(code: str) -> RoleDefinition:
    for role in ROLES:
        if role.code == code:
            return role
    raise KeyError(code)
