"""The filing slice: organisations, filings, their events and history.

`service.FilingService` is the public API; `events` is the unit of work that records one event; `repo` holds
every query over organisations, filings and transitions; `identity`, `apply` and `demo` are its helpers.
"""
