"""Models of the prevention app: one module per part, each imported here (the app's models)."""

from .patrols import PatrolLog, PatrolUnit

__all__ = ["PatrolLog", "PatrolUnit"]
