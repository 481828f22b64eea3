"""inbox: the done-time index holds done rows only

Issue 16 (the step against a plain sqlite3 floor): the purge's index on `done_at` held every
row, so storing an update wrote an entry for NULL and marking it done moved that entry —
two of the ten pages SQLite wrote to its log per update. Only done rows are ever purged, so
the index now holds those only (the purge's `done_at < :before` implies NOT NULL, and both
databases use a partial index for it).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 07:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

DONE = sa.text('done_at IS NOT NULL')


def upgrade() -> None:
    op.drop_index('ix_inbox_done_at', table_name='inbox')
    op.create_index(
        'ix_inbox_done_at', 'inbox', ['done_at'], sqlite_where=DONE, postgresql_where=DONE
    )


def downgrade() -> None:
    op.drop_index('ix_inbox_done_at', table_name='inbox')
    op.create_index('ix_inbox_done_at', 'inbox', ['done_at'])
