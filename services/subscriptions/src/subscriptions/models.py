"""Subscriptions tables. Every table derives from `SubscriptionsModel`, whose metadata is this service's alone."""

from quintet_shared.db import model_base

SubscriptionsModel = model_base("SubscriptionsModel")
metadata = SubscriptionsModel.metadata
