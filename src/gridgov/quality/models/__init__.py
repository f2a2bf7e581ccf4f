"""Models of the quality app: one module per part, each imported here (the app's models)."""

from gridgov.quality.models.campaigns import Campaign, CampaignStratum, SampledHouse
from gridgov.quality.models.reconciliation import ExternalRecord, LinkCandidate, Reconciliation, WorklistItem
from gridgov.quality.models.visits import CorrectionProposal, Visit, VisitAssignment, VisitPerson

__all__ = ["Campaign", "CampaignStratum", "CorrectionProposal", "ExternalRecord", "LinkCandidate", "Reconciliation",
           "SampledHouse", "Visit", "VisitAssignment", "VisitPerson", "WorklistItem"]
