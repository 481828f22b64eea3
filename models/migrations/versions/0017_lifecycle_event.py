"""lifecycle_event.event and .data: the audit row says which event happened, with its data

Issue 27 (item 4): an event that keeps the status (a second change, the icon placed) was
recorded as `submitted → submitted`; the row now names the event (`rules.events`: the
lifecycle trigger's value, "prepare" for a new filing, "record_icon") and keeps its data.
Older rows are backfilled from their statuses (and, where the status stayed, from the reason
the code wrote); their data stays NULL, as it was never kept.

Revision ID: 0017_lifecycle_event
Revises: 0016_wechat
Create Date: 2026-12-07 09:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0017_lifecycle_event'
down_revision: Union[str, None] = '0016_wechat'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')
# The event that moves a filing into each status (rules.lifecycle), as it was in 0014.
INTO = {
    'submitted': 'submit',
    'initial_review_passed': 'pass_initial_review',
    'returned': 'return_for_rectification',
    'resubmitted': 'resubmit',
    'materials_received': 'receive_materials',
    'certified': 'certify',
    'change_reported': 'report_change',
    'cancelled': 'cancel',
}


def upgrade() -> None:
    with op.batch_alter_table('lifecycle_event') as batch:
        batch.add_column(sa.Column('event', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('data', JSON, nullable=True))
    rows = sa.table(
        'lifecycle_event',
        sa.column('event', sa.String), sa.column('from_status', sa.String),
        sa.column('to_status', sa.String), sa.column('reason', sa.String),
    )
    moved = sa.or_(rows.c.from_status.is_(None), rows.c.from_status != rows.c.to_status)
    op.execute(rows.update().where(rows.c.from_status.is_(None)).values(event='prepare'))
    for status, event in INTO.items():
        op.execute(
            rows.update()
            .where(rows.c.from_status.is_not(None), moved, rows.c.to_status == status)
            .values(event=event)
        )
    kept = rows.c.from_status == rows.c.to_status  # the status stayed: what the reason says
    op.execute(
        rows.update().where(kept, rows.c.reason.like('%已放置备案图标%')).values(event='record_icon')
    )
    op.execute(
        rows.update().where(kept, rows.c.reason.like('%变更：%')).values(event='report_change')
    )


def downgrade() -> None:
    with op.batch_alter_table('lifecycle_event') as batch:
        batch.drop_column('data')
        batch.drop_column('event')
