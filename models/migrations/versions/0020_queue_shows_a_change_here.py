"""The desk derived again: a change awaiting this city's review is the queue row's step

A two-step filing certified here whose other step is in progress (or a site moved by a change,
whose new bureau's step is prepared) showed the other step's status and bureau in the queue:
the filters 已报告变更 and 本市 missed the change this city's reviewers must review
(`bot.console.derived.derive`). Every filing's queue row is derived again at the next refresh.

Revision ID: 0020_queue_shows_a_change_here
Revises: 0019_outcomes_by_recorded_day
Create Date: 2026-12-06 22:40:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0020_queue_shows_a_change_here'
down_revision: Union[str, None] = '0019_outcomes_by_recorded_day'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    filing = sa.table('filing', sa.column('queue_version', sa.Integer))
    op.execute(filing.update().values(queue_version=None))


def downgrade() -> None:
    # derived again by the code of the revision below (rows derived here would look current)
    filing = sa.table('filing', sa.column('queue_version', sa.Integer))
    op.execute(filing.update().values(queue_version=None))
