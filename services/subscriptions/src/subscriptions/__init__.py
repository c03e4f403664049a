"""Subscriptions service: weather-forecast SMS subscriptions, CSV jobs, billing retries, daily SMS."""
