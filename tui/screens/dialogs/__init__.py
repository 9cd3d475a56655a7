"""Modal screens over the dashboard or the detail view: advance, materials, the forms, and help."""
