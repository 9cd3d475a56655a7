"""Filings in and out: spreadsheet and CAC-list import with a validation report, exports, a status report, a calendar.

Readers, writers and the report renderers are pure (files in, domain objects out, or the reverse); the
service (`tracker.exchange.service`) plans and applies an import against the database.
"""
