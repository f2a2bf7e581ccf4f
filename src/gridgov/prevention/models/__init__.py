"""Models of the prevention app: one module per part, each imported here (the app's models)."""

from .cameras import Camera
from .cooperation import CooperationAgreement, CooperationMeeting
from .defence import DefenceActivity, DefenceDuty, DefenceMember, DefenceTeam
from .patrols import PatrolLog, PatrolUnit
from .venues import Inspection, InspectionState, Venue

__all__ = ["Camera", "CooperationAgreement", "CooperationMeeting", "DefenceActivity", "DefenceDuty",
           "DefenceMember", "DefenceTeam", "Inspection", "InspectionState", "PatrolLog", "PatrolUnit", "Venue"]
