"""photo_reading: the audit of photos read (issue 30) — only each photo's SHA-256

Revision ID: 0015_photo_reading
Revises: 0014_durable_replies
Create Date: 2026-12-05 01:15:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = '0015_photo_reading'
down_revision: Union[str, None] = '0014_durable_replies'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'photo_reading',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('applicant_id', sa.Integer(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('at', models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['applicant_id'], ['applicant.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('photo_reading', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_photo_reading_applicant_id'), ['applicant_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('photo_reading', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_reading_applicant_id'))
    op.drop_table('photo_reading')
