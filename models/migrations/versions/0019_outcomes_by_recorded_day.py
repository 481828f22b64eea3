"""The desk's outcome statistics again: by the days recorded, of this city's steps only

The days from a submission to its outcome were counted between the moments the events were
typed in (a decision recorded late with `--on` or the desk's date counted 0 days), and
another city's bureau's outcomes of a two-step filing were counted as this city's
(`bot.console.derived.outcomes`). Every filing's queue row and outcomes are derived again
at the next refresh (the desk's, or `beian console`'s start).

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
    filing = sa.table('filing', sa.column('queue_version', sa.Integer))
    op.execute(filing.update().values(queue_version=None))


def downgrade() -> None:
    pass  # derived columns: nothing to take back
