"""Readings tables. Every table derives from `ReadingsModel`, whose metadata is this service's alone."""

from quintet_shared.db import model_base

ReadingsModel = model_base("ReadingsModel")
metadata = ReadingsModel.metadata
