"""Quintet API gateway."""
