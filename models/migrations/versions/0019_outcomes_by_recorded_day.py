"""The desk derived again: outcomes by the days recorded, of this city's steps only; the
bureau's English name in the queue

The days from a submission to its outcome were counted between the moments the events were
typed in (a decision recorded late with `--on` or the desk's date counted 0 days), and
another city's bureau's outcomes of a two-step filing were counted as this city's
(`bot.console.derived.outcomes`). The queue kept the step's bureau in Chinese only: the
English desk showed it so (`filing_queue.bureau_en`). Every filing's queue row and outcomes
are derived again at the next refresh (the desk's, or `beian console`'s start).

Revision ID: 0019_outcomes_by_recorded_day
Revises: 0018_sealed
Create Date: 2026-12-06 17:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0019_outcomes_by_recorded_day'
down_revision: Union[str, None] = '0018_sealed'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('filing_queue') as batch:
        batch.add_column(
            sa.Column('bureau_en', sa.String(length=200), nullable=False, server_default='')
        )
    filing = sa.table('filing', sa.column('queue_version', sa.Integer))
    op.execute(filing.update().values(queue_version=None))


def downgrade() -> None:
    with op.batch_alter_table('filing_queue') as batch:
        batch.drop_column('bureau_en')
