"""The next statutory due date of each filing, stored so that the deadline order and filters are SQL.

Revision ID: 0007_next_due
Revises: 0006_sort_keys

`next_due` is the due date (Beijing day) of the filing's most urgent running deadline, `next_due_regulator`
whether that deadline binds the regulator (D4), and `next_due_stamp` the fingerprint of the rules and calendar
they were computed with: NULL means "not computed yet". `ix_organisation_sort` orders organisations by their
sort key, so that sorting filings by organisation reads an index instead of sorting every filing. Existing rows start NULL here and are computed by
`beian init` (and by the first reader that needs them); writers reset the stamp in the transaction that
changes a deadline's inputs (`tracker.rules.next_due`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_next_due"
down_revision = "0006_sort_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("filing") as batch:
        batch.add_column(sa.Column("next_due", sa.Date(), nullable=True))
        batch.add_column(sa.Column("next_due_regulator", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("next_due_stamp", sa.String(40), nullable=True))
    op.create_index("ix_filing_next_due", "filing", ["next_due", "next_due_regulator"])
    op.create_index("ix_filing_next_due_stamp", "filing", ["next_due_stamp"])
    # organisations in sort order, so the organisation sort walks this index and each one's filings (no sort)
    op.create_index(
        "ix_organisation_sort", "organisation", [sa.text("coalesce(name_key, lower(name))"), "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_organisation_sort", table_name="organisation")
    op.drop_index("ix_filing_next_due_stamp", table_name="filing")
    op.drop_index("ix_filing_next_due", table_name="filing")
    with op.batch_alter_table("filing") as batch:
        batch.drop_column("next_due_stamp")
        batch.drop_column("next_due_regulator")
        batch.drop_column("next_due")
