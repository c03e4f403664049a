"""CRM service: restaurants, customers, visits, segments, outreach campaigns, operations dashboard."""
