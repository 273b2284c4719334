"""Job queues for garment try-on work."""
