"""Alembic environment: runs on the connection handed over by `tracker.store.schema`, inside its one
transaction (so `begin_transaction` below joins it, and every migration commits or rolls back together)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, render_as_batch=True, compare_type=True, transaction_per_migration=False
)
with context.begin_transaction():
    context.run_migrations()
