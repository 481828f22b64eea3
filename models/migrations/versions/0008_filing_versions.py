"""filing_version: every version of a filing's answers (as submitted, amended, changed)

Issue 14: a change (变更) keeps who made it, when, why and what changed; `beian filings show`
prints the history. Existing filings get their first version from their stored answers.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'filing_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('filing_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('reason', sa.String(length=2000), nullable=True),
        sa.Column('changed_on', sa.Date(), nullable=True),
        sa.Column('changes', JSON, nullable=False),
        sa.Column('answers', JSON, nullable=False),
        sa.Column('at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['filing_id'], ['filing.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_filing_version_filing_id', 'filing_version', ['filing_id'])
    filing = sa.table(
        'filing', sa.column('id'), sa.column('applicant_id'), sa.column('data', JSON),
        sa.column('created_at', models.types.UTCDateTime(timezone=True)),
    )
    version = sa.table(
        'filing_version', sa.column('filing_id'), sa.column('number'), sa.column('kind'),
        sa.column('actor'), sa.column('changes', JSON), sa.column('answers', JSON),
        sa.column('at', models.types.UTCDateTime(timezone=True)),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(filing.c.id, filing.c.applicant_id, filing.c.data, filing.c.created_at)
    ).all()
    for row in rows:
        conn.execute(version.insert().values(
            filing_id=row.id, number=1, kind='created', actor=f'applicant:{row.applicant_id}',
            changes=[], answers=row.data or {}, at=row.created_at,
        ))


def downgrade() -> None:
    op.drop_index('ix_filing_version_filing_id', table_name='filing_version')
    op.drop_table('filing_version')
