"""SMS recipients, and the outbox row's link to the recipient it was addressed to.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recipient",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=True),
        sa.Column("filing_id", sa.Integer(), sa.ForeignKey("filing.id"), nullable=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("name", sa.String(120), nullable=True),
        sa.Column("events", sa.String(300), nullable=False, server_default="approve"),
        sa.Column("language", sa.String(4), nullable=False, server_default="zh"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_recipient_organisation_id", "recipient", ["organisation_id"])
    op.create_index("ix_recipient_filing_id", "recipient", ["filing_id"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("recipient_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_outbox_recipient", "recipient", ["recipient_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("fk_outbox_recipient", type_="foreignkey")
        batch.drop_column("recipient_id")
    op.drop_table("recipient")
