"""inbox: a turn's replies stored with its done mark, until they are sent

Issue 26 item 1: the inbox row of an update was marked done with the turn's commit and the
turn's replies were sent after it, from memory: a process killed between the two lost them
(6-14 of 120 acknowledged updates were never answered). `reply` holds what the turn is to
send (a JSON plan: its messages, its documents delivery, the status after them), written in
the turn's transaction and cleared once sent; a row done with a reply still set after a crash
is sent on restart. The partial index holds those rows only (none, in a steady state).

Revision ID: 0014_durable_replies
Revises: 0013_console
Create Date: 2026-12-05 01:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = '0014_durable_replies'
down_revision: Union[str, None] = '0013_console'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNSENT = sa.text('reply IS NOT NULL')


def upgrade() -> None:
    with op.batch_alter_table('inbox') as batch:
        batch.add_column(
            sa.Column(
                'reply',
                sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), 'postgresql'),
                nullable=True,
            )
        )
    op.create_index(
        'ix_inbox_unsent',
        'inbox',
        ['bot_id', 'chat_id', 'update_id'],
        sqlite_where=UNSENT,
        postgresql_where=UNSENT,
    )


def downgrade() -> None:
    op.drop_index('ix_inbox_unsent', table_name='inbox')
    with op.batch_alter_table('inbox') as batch:
        batch.drop_column('reply')
