"""Promotions routes, served under /promotions/ behind the gateway signature."""

from fastapi import APIRouter

router = APIRouter(tags=["promotions"])
