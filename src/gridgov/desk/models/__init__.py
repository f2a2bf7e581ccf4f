"""Models of the desk app: one module per part, each imported here (the app's models)."""

from gridgov.desk.models.migrants import (  # noqa: F401
    PERMIT_DOCUMENTS,
    OutputRecord,
    PermitApplication,
    PermitReminder,
    ProjectOutput,
    ResidenceRegistration,
    ServiceReferral,
    SocialWorkProject,
)
from gridgov.desk.models.requests import DeskEvent, DeskRequest, Visitor  # noqa: F401
