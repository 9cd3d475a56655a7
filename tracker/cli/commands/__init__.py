"""The `beian` commands by group: setup, orgs, filings, events, rules, notify (registered in `tracker.cli.main`)."""
