"""wechat: inbox rows carry their channel and the channel's own chat address

Issue 29: the WeChat Official Account is a second messaging channel on the same inbox. A
row says which channel it came from (`channel`, "telegram" for every row before this) and,
where the channel's chat is not a number, its address there (`chat_ref`: the person's
openid), so a turn's replies stored with the row can be sent again, through the right
channel, after a crash. An outbox row says which channel sends it (`outbox.channel`): an
applicant's notices, reminders and documents go by the applicant's channel, so Telegram's
senders never take a WeChat applicant's rows, nor WeChat's a Telegram one's.

Revision ID: 0016_wechat
Revises: 0015_photo_reading
Create Date: 2026-12-05 01:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0016_wechat'
down_revision: Union[str, None] = '0015_photo_reading'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no table copy on SQLite: the partial indexes stay as they are).
    op.add_column(
        'inbox',
        sa.Column('channel', sa.String(length=16), nullable=False, server_default='telegram'),
    )
    op.add_column('inbox', sa.Column('chat_ref', sa.String(length=64), nullable=True))
    op.add_column(
        'outbox',
        sa.Column('channel', sa.String(length=16), nullable=False, server_default='telegram'),
    )


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('channel')
    with op.batch_alter_table('inbox') as batch:
        batch.drop_column('chat_ref')
        batch.drop_column('channel')
