"""Promotions tables. Every table derives from `PromotionsModel`, whose metadata is this service's alone."""

from quintet_shared.db import model_base

PromotionsModel = model_base("PromotionsModel")
metadata = PromotionsModel.metadata
