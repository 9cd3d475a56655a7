"""Organisations without a credit code (imported from CAC lists, which give only the name).

The history's `source` column already holds free text; imports record their facts with source `import`.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.alter_column("credit_code", existing_type=sa.String(18), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.alter_column("credit_code", existing_type=sa.String(18), nullable=False)
