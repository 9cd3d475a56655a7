"""Pinyin sort keys for filing titles and organisation names, so Chinese text sorts as a reader expects.

Revision ID: 0006_sort_keys
Revises: 0005_seen

Existing rows get their keys here (`tracker.filings.collation.sort_key`); writers set them from then on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_sort_keys"
down_revision = "0005_seen"
branch_labels = None
depends_on = None

_BATCH = 2000


def _fill(table: str, text_column: str, key_column: str) -> None:
    from tracker.filings.collation import sort_key

    conn = op.get_bind()
    t = sa.table(table, sa.column("id", sa.Integer), sa.column(text_column, sa.String), sa.column(key_column))
    rows = conn.execute(sa.select(t.c.id, t.c[text_column])).all()
    update = sa.update(t).where(t.c.id == sa.bindparam("match_id")).values({key_column: sa.bindparam("key")})
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        conn.execute(update, [{"match_id": row[0], "key": sort_key(row[1])} for row in batch])


def upgrade() -> None:
    with op.batch_alter_table("filing") as batch:
        batch.add_column(sa.Column("title_key", sa.String(600), nullable=True))
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("name_key", sa.String(600), nullable=True))
    _fill("filing", "title", "title_key")
    _fill("organisation", "name", "name_key")


def downgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("name_key")
    with op.batch_alter_table("filing") as batch:
        batch.drop_column("title_key")
