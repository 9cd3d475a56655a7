"""The reliability suite: kills, racing writers, faults, secrets and permissions, with one figures table."""
