"""Reliability tests and their tools: faults injected between the product and the services it talks to."""
