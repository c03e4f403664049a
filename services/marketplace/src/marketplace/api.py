"""Marketplace routes, served under /marketplace/ behind the gateway signature."""

from fastapi import APIRouter

router = APIRouter(tags=["marketplace"])
