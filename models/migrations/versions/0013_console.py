"""console: the bureau's desk — sign-in links, sessions, reveals, queue columns, outcomes

Issue 28: a web console for the bureau. One-time sign-in links (hashed) and server-side
sessions (the cookie holds a random key; the row its hash), a log of every ID number shown,
a queue row derived from each filing (running deadline, bureau, unit, domains and a
lower-cased search text — never personal data) in a narrow table of their own,
`filing_queue`, recomputed when the filing's `version` moves past its `queue_version`, and the outcomes with their days from submission for the dashboard's chart.

Revision ID: 0013_console
Revises: 0012
The queue's search text is indexed by trigrams: on SQLite in an FTS5 table (`filing_search`,
rowid = filing id, kept with the queue rows), on PostgreSQL by a pg_trgm GIN index; neither is
in the models (the test comparing the models with the schema skips them).

Create Date: 2026-12-06 09:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = '0013_console'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STALE = sa.text('queue_version IS NULL OR queue_version <> version')
STATUSES = ('prepared', 'submitted', 'initial_review_passed', 'returned', 'resubmitted',
            'materials_received', 'certified', 'change_reported', 'cancelled')
SUBJECTS = ('government', 'enterprise', 'individual', 'social_org', 'other')


def upgrade() -> None:
    """Bring the schema to this revision. Long on purpose: a migration is the schema as it
    was that day, one statement after another, and is history — not refactored later."""
    op.add_column('filing', sa.Column('queue_version', sa.Integer(), nullable=True))
    op.create_index(
        'ix_filing_queue_stale', 'filing', ['id'], sqlite_where=STALE, postgresql_where=STALE
    )
    op.create_table(
        'filing_queue',
        sa.Column('filing_id', sa.Integer(), nullable=False),
        sa.Column('needs', sa.Boolean(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('due_key', sa.Date(), nullable=False),
        sa.Column('due_kind', sa.String(length=20), nullable=True),
        sa.Column('local', sa.Boolean(), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('bureau', sa.String(length=200), nullable=False),
        sa.Column('status', sa.Enum(*STATUSES, name='filingstatus', native_enum=False,
                                    length=32), nullable=False),
        sa.Column('subject_type', sa.Enum(*SUBJECTS, name='subjecttype', native_enum=False,
                                          length=32), nullable=False),
        sa.Column('site_name', sa.String(length=200), nullable=False),
        sa.Column('unit', sa.String(length=200), nullable=False),
        sa.Column('domains', sa.String(length=1000), nullable=False),
        sa.Column('psb_number', sa.String(length=40), nullable=True),
        sa.Column('search', sa.String(length=2000), nullable=False),
        sa.Column('pairs', sa.String(length=8000), nullable=False),
        sa.ForeignKeyConstraint(['filing_id'], ['filing.id']),
        sa.PrimaryKeyConstraint('filing_id'),
    )
    for name, first in (('needs_due', ['needs']), ('due', []), ('status_due', ['status'])):
        op.create_index(f'ix_filing_queue_{name}', 'filing_queue',
                        [*first, 'due_key', 'filing_id', 'local', 'subject_type', 'step'])
    if op.get_bind().dialect.name == 'sqlite':  # the queue's search: a trigram index
        op.execute("CREATE VIRTUAL TABLE filing_search USING fts5(search, pairs, "
                   "tokenize='trigram', detail='none')")
    else:
        _trigram_index()
    op.create_table(
        'console_login',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('reviewer_id', sa.BigInteger(), nullable=False),
        sa.Column('expires_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_table(
        'console_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('reviewer_id', sa.BigInteger(), nullable=False),
        sa.Column('data', sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql'),
                  nullable=False),
        sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('seen_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key_hash'),
    )
    op.create_index('ix_console_session_reviewer_id', 'console_session', ['reviewer_id'])
    op.create_table(
        'console_reveal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('filing_id', sa.Integer(), nullable=False),
        sa.Column('reviewer_id', sa.BigInteger(), nullable=False),
        sa.Column('field', sa.String(length=200), nullable=False),
        sa.Column('at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['filing_id'], ['filing.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_console_reveal_filing_id', 'console_reveal', ['filing_id'])
    op.create_table(
        'filing_outcome',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('filing_id', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=32), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['lifecycle_event.id']),
        sa.ForeignKeyConstraint(['filing_id'], ['filing.id']),
        sa.PrimaryKeyConstraint('event_id'),
    )
    op.create_index('ix_filing_outcome_filing_id', 'filing_outcome', ['filing_id'])
    op.create_index('ix_filing_outcome_kind_days', 'filing_outcome', ['outcome', 'days'])


def _trigram_index() -> None:
    """PostgreSQL: a pg_trgm GIN index answers the search's LIKE '%word%' (3+ characters).
    pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it; where it
    cannot be created, searches scan instead (slower, still right)."""
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.exec_driver_sql('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public')
            bind.exec_driver_sql('CREATE INDEX ix_filing_queue_search_trgm ON filing_queue '
                                 'USING gin (search public.gin_trgm_ops, '
                                 'pairs public.gin_trgm_ops)')
    except sa.exc.DBAPIError as exc:
        print(f'0013_console: no trigram index for the desk\'s search ({exc.orig})')


def downgrade() -> None:
    op.drop_table('filing_outcome')
    op.execute('DROP INDEX IF EXISTS ix_filing_queue_search_trgm')  # PostgreSQL (the extension stays)
    op.drop_table('filing_queue')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TABLE filing_search')
    op.drop_table('console_reveal')
    op.drop_table('console_session')
    op.drop_table('console_login')
    op.drop_index('ix_filing_queue_stale', table_name='filing')
    op.drop_column('filing', 'queue_version')  # SQLite ≥ 3.35 drops a column in place
