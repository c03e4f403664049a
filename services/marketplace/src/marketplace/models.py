"""Marketplace tables. Every table derives from `MarketplaceModel`, whose metadata is this service's alone."""

from quintet_shared.db import model_base

MarketplaceModel = model_base("MarketplaceModel")
metadata = MarketplaceModel.metadata
