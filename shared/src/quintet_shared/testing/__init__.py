"""Test support shared by every component's suite (registered as a pytest plugin)."""
