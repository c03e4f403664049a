"""What every provider of the sandbox shares (ARCHITECTURE.md §12): a record of what it received, its
behaviour (failures, latency, down, throttling) and the routes that inspect and set them."""
