"""The reliability suite: kills, racing writers, faults injected between the product and the services it
talks to, secrets and permissions, with one figures table (tools in `tests.helpers`)."""
