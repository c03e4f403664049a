"""Marketplace service: a seller tool: stores, products, orders, competitor monitoring, repricing."""
