"""Quintet's run modes: every component in one process, or each in its own processes."""
