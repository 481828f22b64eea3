"""inbox and outbox: updates stored before they are acknowledged, deliveries sent once

The inbox (with its per-chat claims) replaces processed_update and interview.recent_updates:
its primary key is the dedupe of a redelivered update. The unused reminder table becomes the
outbox, which also carries a confirmed submission's documents.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
STATUS = sa.Enum(
    'pending', 'sent', 'cancelled', 'failed', name='outboxstatus', native_enum=False, length=32
)


def upgrade() -> None:
    """Bring the schema to this revision. Long on purpose: a migration is the schema as it
    was that day, one statement after another, and is history — not refactored later."""
    op.create_table(
        'inbox',
        sa.Column('bot_id', sa.BigInteger(), nullable=False),
        sa.Column('update_id', sa.BigInteger(), nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('payload', JSON, nullable=False),
        sa.Column('received_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('done_at', models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'),
        sa.PrimaryKeyConstraint('bot_id', 'update_id'),
    )
    op.create_index(
        'ix_inbox_pending',
        'inbox',
        ['bot_id', 'chat_id', 'update_id'],
        sqlite_where=sa.text('done_at IS NULL'),
        postgresql_where=sa.text('done_at IS NULL'),
    )
    op.create_index('ix_inbox_done_at', 'inbox', ['done_at'])
    op.create_table(
        'chat_claim',
        sa.Column('bot_id', sa.BigInteger(), nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('lease_until', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('bot_id', 'chat_id'),
    )
    op.drop_table('processed_update')
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.drop_column('recent_updates')

    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_status')
        batch_op.drop_index('ix_reminder_filing_id')
        batch_op.drop_index('ix_reminder_due_at')
    op.drop_table('reminder')
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('filing_id', sa.Integer(), nullable=True),
        sa.Column('applicant_id', sa.Integer(), nullable=True),
        sa.Column('chat_id', sa.BigInteger(), nullable=True),
        sa.Column('due_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('payload', JSON, nullable=False),
        sa.Column('status', STATUS, nullable=False),
        sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('lease_until', models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('sent_at', models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['applicant_id'], ['applicant.id']),
        sa.ForeignKeyConstraint(['filing_id'], ['filing.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dedupe_key'),
    )
    op.create_index('ix_outbox_filing_id', 'outbox', ['filing_id'])
    op.create_index(
        'ix_outbox_pending_due',
        'outbox',
        ['due_at'],
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index('ix_outbox_pending_due', table_name='outbox')
    op.drop_index('ix_outbox_filing_id', table_name='outbox')
    op.drop_table('outbox')
    op.create_table(
        'reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('filing_id', sa.Integer(), nullable=True),
        sa.Column('applicant_id', sa.Integer(), nullable=True),
        sa.Column('reviewer_id', sa.Integer(), nullable=True),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('due_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('payload', JSON, nullable=False),
        sa.Column(
            'status',
            sa.Enum('pending', 'sent', 'cancelled', 'failed', name='reminderstatus',
                    native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('lease_until', models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('sent_at', models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['applicant_id'], ['applicant.id']),
        sa.ForeignKeyConstraint(['filing_id'], ['filing.id']),
        sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dedupe_key'),
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index('ix_reminder_due_at', ['due_at'], unique=False)
        batch_op.create_index('ix_reminder_filing_id', ['filing_id'], unique=False)
        batch_op.create_index('ix_reminder_status', ['status'], unique=False)
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recent_updates', JSON, nullable=False, server_default='[]'))
    op.create_table(
        'processed_update',
        sa.Column('bot_id', sa.BigInteger(), nullable=False),
        sa.Column('update_id', sa.BigInteger(), nullable=False),
        sa.Column('processed_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('bot_id', 'update_id'),
    )
    op.drop_table('chat_claim')
    op.drop_index('ix_inbox_done_at', table_name='inbox')
    op.drop_index('ix_inbox_pending', table_name='inbox')
    op.drop_table('inbox')
