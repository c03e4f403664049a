"""Stand-ins for the outside world, served with the same HTTP and SMTP contracts as the real providers."""
