"""What each person last saw of each filing, who edited a filing, and digests: their outbox and schedule;
an outbox SMS may belong to no filing (a digest's summary) and carry a key that keeps it unique.

Revision ID: 0005_seen
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_seen"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seen",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person", sa.String(120), nullable=False),
        sa.Column("filing_id", sa.Integer(), sa.ForeignKey("filing.id"), nullable=False),
        sa.Column("transition_id", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("edit_id", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("deadline", sa.String(12), nullable=False, server_default=""),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("person", "filing_id", name="uq_seen_person_filing"),
    )
    op.create_index("ix_seen_filing_id", "seen", ["filing_id"])
    op.create_table(
        "filing_edit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("filing_id", sa.Integer(), sa.ForeignKey("filing.id"), nullable=False),
        sa.Column("actor", sa.String(120), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
    )
    op.create_index("ix_filing_edit_filing", "filing_edit", ["filing_id", "id"])
    op.create_table(
        "digest",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(12), nullable=False, server_default="email"),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(200), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("channel", "recipient", "period", name="uq_digest_recipient_period"),
    )
    op.create_index("ix_digest_status_due", "digest", ["status", "next_attempt_at"])
    op.create_table(
        "digest_schedule",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("every", sa.String(8), nullable=False),
        sa.Column("format", sa.String(8), nullable=False, server_default="text"),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("channel", "address", name="uq_digest_schedule_address"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("filing_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("dedupe_key", sa.String(160), nullable=True))
        batch.create_unique_constraint("uq_outbox_dedupe_key", ["dedupe_key"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("uq_outbox_dedupe_key", type_="unique")
        batch.drop_column("dedupe_key")
        batch.alter_column("filing_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("digest_schedule")
    op.drop_index("ix_digest_status_due", table_name="digest")
    op.drop_table("digest")
    op.drop_index("ix_filing_edit_filing", table_name="filing_edit")
    op.drop_table("filing_edit")
    op.drop_index("ix_seen_filing_id", table_name="seen")
    op.drop_table("seen")
