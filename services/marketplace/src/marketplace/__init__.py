"""Marketplace service: marketplace seller tool: stores, products, orders, competitor monitoring, repricing, notifications."""
