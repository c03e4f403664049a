"""CRM tables. Every table derives from `CRMModel`, whose metadata is this service's alone."""

from quintet_shared.db import model_base

CRMModel = model_base("CRMModel")
metadata = CRMModel.metadata
