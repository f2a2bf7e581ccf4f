"""Models of the quality app: one module per part, each imported here (the app's models)."""

from gridgov.quality.models.campaigns import Campaign, CampaignStratum, SampledHouse
from gridgov.quality.models.reconciliation import ExternalRecord, LinkCandidate, Reconciliation, WorklistItem

__all__ = ["Campaign", "CampaignStratum", "ExternalRecord", "LinkCandidate", "Reconciliation", "SampledHouse",
           "WorklistItem"]
