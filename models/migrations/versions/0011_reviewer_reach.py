"""reviewer.source and unreachable_chat: one source of reviewers, and who cannot be reached

Issue 26 (items 8 and 9): BEIAN_REVIEWERS now only seeds the reviewer table (a seeded row is
marked as such, so `beian reviewers list` can say where it came from), and a reviewers' card
refused with 403 marks its chat (a reviewer, the review group, the supervisor chat) until a
card gets through.

Revision ID: 0011_reviewer_reach
Revises: 0010
Create Date: 2026-12-05 09:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = '0011_reviewer_reach'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column(
        'reviewer',
        sa.Column('source', sa.String(length=20), nullable=False, server_default='db'),
    )
    op.create_table(
        'unreachable_chat',
        sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('since', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('error', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('chat_id'),
    )


def downgrade() -> None:
    op.drop_table('unreachable_chat')
    op.drop_column('reviewer', 'source')  # SQLite >= 3.35 drops a column in place
