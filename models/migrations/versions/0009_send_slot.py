"""send_slot: the bot-wide send schedule shared by every instance

Issue 16: with several instances each pacing itself to 30 messages/s, one bot token sent past
Telegram's limit. Each send now takes its slot from this row (one per key: the whole bot, or a
group), so the limit holds for the bot, however many instances send.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 19:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'send_slot',
        sa.Column('bot_id', sa.BigInteger(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('next_at', sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint('bot_id', 'key'),
    )


def downgrade() -> None:
    op.drop_table('send_slot')
