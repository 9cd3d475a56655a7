"""Reliability tests: faults injected between the product and the services it talks to (tools in `tests.helpers`)."""
