"""Results of delivery runs; they are domain types (the dashboard shows them), defined in `tracker.domain`."""

from tracker.domain import DispatchReport, SmsPreview, StatusReport

__all__ = ["DispatchReport", "SmsPreview", "StatusReport"]
