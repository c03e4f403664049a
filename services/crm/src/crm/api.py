"""CRM routes, served under /crm/ behind the gateway signature."""

from fastapi import APIRouter

router = APIRouter(tags=["crm"])
