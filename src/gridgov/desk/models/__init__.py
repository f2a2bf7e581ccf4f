"""Models of the desk app: one module per part, each imported here (the app's models)."""

from gridgov.desk.models.concern import ConcernEvent, PublicConcern, Statement

__all__ = ["ConcernEvent", "PublicConcern", "Statement"]
