"""Models of the command app: one module per part, each imported here (the app's models)."""

from gridgov.command.models.responsibility import (  # noqa: F401
    ResponsibleOfficial,
    ScorecardWeights,
    SupervisoryAction,
    SupervisoryEvent,
)
