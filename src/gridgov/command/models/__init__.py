"""Models of the command app: one module per part, each imported here (the app's models)."""

from gridgov.command.models.projects import Milestone, ProgressNote, Project, ProjectChange, ProjectPhoto
from gridgov.command.models.responsibility import (
    ResponsibleOfficial,
    ScorecardWeights,
    SupervisoryAction,
    SupervisoryEvent,
)

__all__ = ["Milestone", "ProgressNote", "Project", "ProjectChange", "ProjectPhoto", "ResponsibleOfficial",
           "ScorecardWeights", "SupervisoryAction", "SupervisoryEvent"]
