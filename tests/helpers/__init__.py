"""Shared test helpers, imported one way: `from tests.helpers.<module> import …`.

- `cli`: run `beian` in the test process and read its exit code, stdout and stderr.
- `clock`: a clock the test moves by hand.
- `sms`: a database with a filing in final review (seeded through the service) and an in-process SMS gateway.
- `twilio`: the local Twilio mock (Prism) and a handle on its request log.
- `tui`: the dashboard tests' instant, portfolio and message waiting.
- `probes`: fresh interpreters that report what an entry point imported.
- `olddb`: databases at an old schema revision, with rows an older beian wrote.
- `load`: filings that take events forever, and the checks that stage, version, history and outbox agree.
- `spawn`: a fork server starting `beian` processes in milliseconds (for kill and race tests).
- `figures`: the reliability figures: recorded by tests, printed as one table at the end.
"""
