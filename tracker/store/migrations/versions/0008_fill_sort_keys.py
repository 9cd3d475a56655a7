"""Sort keys for rows written without one: filings and organisations brought in by `beian import` before
importing learnt to compute them sorted by code point instead of by pinyin.

Revision ID: 0008_fill_sort_keys
Revises: 0007_next_due

Only rows whose key is NULL are touched; the keys are those every writer computes
(`tracker.filings.collation.sort_key`). Nothing to undo on downgrade: the keys are what 0006 would have written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_fill_sort_keys"
down_revision = "0007_next_due"
branch_labels = None
depends_on = None

_BATCH = 2000


def _fill_missing(table: str, text_column: str, key_column: str) -> None:
    from tracker.filings.collation import sort_key

    conn = op.get_bind()
    t = sa.table(table, sa.column("id", sa.Integer), sa.column(text_column, sa.String), sa.column(key_column))
    rows = conn.execute(sa.select(t.c.id, t.c[text_column]).where(t.c[key_column].is_(None))).all()
    update = sa.update(t).where(t.c.id == sa.bindparam("match_id")).values({key_column: sa.bindparam("key")})
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        conn.execute(update, [{"match_id": row[0], "key": sort_key(row[1])} for row in batch])


def upgrade() -> None:
    _fill_missing("filing", "title", "title_key")
    _fill_missing("organisation", "name", "name_key")


def downgrade() -> None:
    pass
