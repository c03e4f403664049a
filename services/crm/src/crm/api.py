"""CRM routes, served under /crm/ behind the gateway signature: one router per resource, joined here."""

from fastapi import APIRouter

from crm import api_campaigns, api_customer_files, api_customers, api_restaurants, api_visits

router = APIRouter()
for part in (api_restaurants, api_customer_files, api_customers, api_visits, api_campaigns):
    router.include_router(part.router)
