"""The base class of every marketplace table; its metadata is this service's alone."""

from sqlalchemy import BigInteger, Integer

from quintet_shared.db import model_base

MarketplaceModel = model_base("MarketplaceModel")
metadata = MarketplaceModel.metadata

# Ids of the tables that grow with every monitoring round or order: BIGINT on PostgreSQL, while
# SQLite's rowid alias must stay INTEGER to autoincrement.
BigId = BigInteger().with_variant(Integer, "sqlite")
