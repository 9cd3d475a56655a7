"""The Textual dashboard. It talks to `tracker.filings.service` and domain types only, never to storage."""
