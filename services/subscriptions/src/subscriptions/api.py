"""Subscriptions routes, served under /subscriptions/ behind the gateway signature."""

from fastapi import APIRouter

router = APIRouter(tags=["subscriptions"])
