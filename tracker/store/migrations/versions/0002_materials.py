"""Materials checklist per filing.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "material",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("filing_id", sa.Integer(), sa.ForeignKey("filing.id"), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("provided", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("checked_by", sa.String(120), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("filing_id", "key", name="uq_material_filing_key"),
    )
    op.create_index("ix_material_filing_id", "material", ["filing_id"])


def downgrade() -> None:
    op.drop_table("material")
