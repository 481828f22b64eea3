"""filing.steps and current_step: one state per bureau of the route; reviewer invites

A two-city route is one filing with one step per bureau, each with its own status and dates
(issue 12); `filing.status` stays the status of the step in progress. Existing filings get
their steps from their stored route, the first step carrying the filing's status. Reviewer
invites are one-time deep links (`/start review-<code>`), kept as a hash with their expiry.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 12:00:00
"""
import json
from typing import Any, Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_DATES = ('submitted_on', 'initial_passed_on', 'materials_received_on', 'certified_on')


def _steps(route: Any, status: str) -> list[dict[str, Any]]:
    if isinstance(route, str):
        route = json.loads(route)
    steps = []
    for i, s in enumerate((route or {}).get('steps', [])):
        steps.append({
            'order': int(s['order']),
            'local': s.get('where') == 'local',
            'bureau': s.get('bureau') or {'zh': '', 'en': ''},
            'status': status if i == 0 else 'prepared',
            **{name: None for name in _DATES},
            'psb_number': None,
            'certificate_number': None,
            'reasons': [],
        })
    return steps


def upgrade() -> None:
    # Plain ADD COLUMN (a batch copy of `filing` would trip the foreign keys pointing at it).
    op.add_column('filing', sa.Column('steps', JSON, nullable=False, server_default='[]'))
    op.add_column(
        'filing', sa.Column('current_step', sa.Integer(), nullable=False, server_default='1')
    )
    filing = sa.table(
        'filing', sa.column('id'), sa.column('route', JSON), sa.column('status'),
        sa.column('steps', JSON),
    )
    conn = op.get_bind()
    for row in conn.execute(sa.select(filing.c.id, filing.c.route, filing.c.status)).all():
        conn.execute(
            filing.update().where(filing.c.id == row.id).values(steps=_steps(row.route, row.status))
        )
    op.create_table(
        'reviewer_invite',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('expires_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('used_by', sa.BigInteger(), nullable=True),
        sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code_hash'),
    )


def downgrade() -> None:
    op.drop_table('reviewer_invite')
    op.drop_column('filing', 'current_step')  # SQLite ≥ 3.35 drops a column in place
    op.drop_column('filing', 'steps')
