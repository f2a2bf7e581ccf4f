"""Models of the desk app: one module per part, each imported here (the app's models)."""

from gridgov.desk.models.concern import ConcernEvent, PublicConcern, Statement
from gridgov.desk.models.migrants import (
    PERMIT_DOCUMENTS,
    OutputRecord,
    PermitApplication,
    PermitReminder,
    ProjectOutput,
    ResidenceRegistration,
    ServiceReferral,
    SocialWorkProject,
)
from gridgov.desk.models.requests import DeskEvent, DeskRequest, Visitor

__all__ = ["PERMIT_DOCUMENTS", "ConcernEvent", "DeskEvent", "DeskRequest", "OutputRecord", "PermitApplication",
           "PermitReminder", "ProjectOutput", "PublicConcern", "ResidenceRegistration", "ServiceReferral",
           "SocialWorkProject", "Statement", "Visitor"]
