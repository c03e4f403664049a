"""Promotions service: flash promotions: stores, products, segments, geo eligibility, 60 s holds, purchase."""
