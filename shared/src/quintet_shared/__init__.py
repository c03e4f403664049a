"""Quintet shared kit: plumbing every component uses. Never domain code."""
