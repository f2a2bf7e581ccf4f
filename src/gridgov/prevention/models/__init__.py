"""Models of the prevention app: one module per part, each imported here (the app's models)."""

from .allocation import PatrolPlan, PatrolPlanLine
from .cameras import Camera
from .cooperation import CooperationAgreement, CooperationMeeting
from .defence import DefenceActivity, DefenceDuty, DefenceMember, DefenceTeam
from .patrols import PatrolLog, PatrolUnit
from .staffing import StationStaffing
from .venues import Inspection, InspectionState, Venue

__all__ = ["Camera", "CooperationAgreement", "CooperationMeeting", "DefenceActivity", "DefenceDuty",
           "DefenceMember", "DefenceTeam", "Inspection", "InspectionState", "PatrolLog", "PatrolPlan",
           "PatrolPlanLine", "PatrolUnit", "StationStaffing", "Venue"]
