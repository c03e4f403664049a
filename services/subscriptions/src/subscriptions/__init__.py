"""Subscriptions service: weather-forecast SMS subscriptions: forecast and subscriber CSV jobs, billing retries, daily SMS."""
