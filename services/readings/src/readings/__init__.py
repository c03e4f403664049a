"""Readings service: energy meter readings: per-client file formats, ingestion, readings API."""
