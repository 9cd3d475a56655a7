"""SMS notifications: recipients, a transactional outbox, and delivery through Twilio.

Importing this package (or `outbox`, `phone`, `templates`, `service`) never imports `twilio`: only
`twilio_sender` does, and only when a message is actually sent or polled.
"""
