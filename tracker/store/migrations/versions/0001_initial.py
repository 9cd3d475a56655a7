"""Organisations, filings, history, the revision counter and the notification outbox.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("credit_code", sa.String(18), nullable=False, unique=True),
        sa.Column("region", sa.String(12), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "filing",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref", sa.String(20), nullable=False, unique=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("role", sa.String(24), nullable=True),
        sa.Column("algorithm_type", sa.String(24), nullable=True),
        sa.Column("upstream_model", sa.String(300), nullable=True),
        sa.Column("upstream_filing_number", sa.String(64), nullable=True),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("returned_from", sa.String(32), nullable=True),
        sa.Column("returns", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("filing_number", sa.String(64), nullable=True, unique=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("public_opinion", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("launch_date", sa.Date(), nullable=True),
        sa.Column("change_date", sa.Date(), nullable=True),
        sa.Column("termination_date", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stage_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "seq", name="uq_filing_kind_seq"),
    )
    op.create_index("ix_filing_stage", "filing", ["stage"])
    op.create_index("ix_filing_org", "filing", ["organisation_id"])
    op.create_index("ix_filing_kind_seq", "filing", ["kind", "seq"])
    op.create_table(
        "transition",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("filing_id", sa.Integer(), sa.ForeignKey("filing.id"), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("from_stage", sa.String(32), nullable=False),
        sa.Column("to_stage", sa.String(32), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(120), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("filing_number", sa.String(64), nullable=True),
    )
    op.create_index("ix_transition_filing", "transition", ["filing_id", "id"])
    op.create_table(
        "meta",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False, server_default="0"),
    )
    op.execute("INSERT INTO meta (key, value) VALUES ('revision', 0)")
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("filing_id", sa.Integer(), sa.ForeignKey("filing.id"), nullable=False),
        sa.Column("transition_id", sa.Integer(), sa.ForeignKey("transition.id"), nullable=True),
        sa.Column("channel", sa.String(12), nullable=False, server_default="sms"),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(80), nullable=True),
        sa.Column("sid", sa.String(64), nullable=True),
        sa.Column("delivery_status", sa.String(24), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("transition_id", "phone", name="uq_outbox_transition_phone"),
    )
    op.create_index("ix_outbox_filing_id", "outbox", ["filing_id"])
    op.create_index("ix_outbox_status_due", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    for table in ("outbox", "meta", "transition", "filing", "organisation"):
        op.drop_table(table)
