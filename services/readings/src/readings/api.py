"""Readings routes, served under /readings/ behind the gateway signature."""

from fastapi import APIRouter

router = APIRouter(tags=["readings"])
