"""Models of the quality app: one module per part, each imported here (the app's models)."""

from gridgov.quality.models.campaigns import Campaign, CampaignStratum, SampledHouse

__all__ = ["Campaign", "CampaignStratum", "SampledHouse"]
