"""The Textual dashboard. It talks to `tracker.services` and domain types only, never to storage."""
