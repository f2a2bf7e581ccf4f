"""Models of the prevention app: one module per part, each imported here (the app's models)."""

from .allocation import PatrolPlan, PatrolPlanLine
from .patrols import PatrolLog, PatrolUnit
from .staffing import StationStaffing

__all__ = ["PatrolLog", "PatrolPlan", "PatrolPlanLine", "PatrolUnit", "StationStaffing"]
