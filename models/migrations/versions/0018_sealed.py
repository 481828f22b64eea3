"""sealed: personal data encrypted at rest

Issue 26, item 3. Every value of the columns below is sealed with the application's key
(AES-256-GCM, `models.sealed`): the answers of interviews, filings and their versions, the
changes recorded, the outbox's payloads, the inbox's waiting updates, the rendered documents,
the reasons typed for decisions and changes and an event's data, a turn's replies not sent
yet, and the Telegram display names. An inbox row whose
update was processed keeps its ids only (its JSON becomes `{}`). On PostgreSQL the sealed text
columns become TEXT (a sealed value is longer than its text).

Then the plain text left behind is wiped from the files: SQLite is vacuumed and its WAL
truncated, PostgreSQL's tables are rewritten (VACUUM FULL) — only when there was anything to
seal. The key comes from the process (`models.sealed.install`: BEIAN_DATA_KEY or the key file);
a database with nothing to seal needs none.

The downgrade opens every value again (it needs the same key). The updates dropped from
processed inbox rows do not come back: that part is one-way.

Revision ID: 0018_sealed
Revises: 0017_lifecycle_event
Create Date: 2026-12-07 09:00:00
"""
import json
from typing import Any, Sequence, Union

import sqlalchemy as sa
from alembic import op

from models import resealing, sealed
from models.resealing import Place

revision: str = '0018_sealed'
down_revision: Union[str, None] = '0017_lifecycle_event'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PLACES = [
    Place('applicant', ('id',), 'display_name', 'text'),
    Place('interview', ('id',), 'answers', 'json'),
    Place('interview', ('id',), 'flow', 'json'),
    Place('filing', ('id',), 'data', 'json'),
    Place('filing_version', ('id',), 'answers', 'json'),
    Place('filing_version', ('id',), 'changes', 'json'),
    Place('filing_version', ('id',), 'reason', 'text'),
    Place('lifecycle_event', ('id',), 'reason', 'text'),
    Place('lifecycle_event', ('id',), 'data', 'json'),
    Place('outbox', ('id',), 'payload', 'json'),
    Place('inbox', ('bot_id', 'update_id'), 'payload', 'json'),
    Place('inbox', ('bot_id', 'update_id'), 'reply', 'json'),
    Place('generated_document', ('id',), 'content', 'bytes'),
]
TEXTS = {('applicant', 'display_name'): 200, ('filing_version', 'reason'): 2000,
         ('lifecycle_event', 'reason'): 2000}


def _sealer(place: Place) -> Any:
    def seal(stored: Any) -> Any:
        if resealing.is_sealed(stored):
            return None
        if place.kind == 'json':
            value = json.loads(stored) if isinstance(stored, str) else stored
            return sealed.seal_json(value, context=place.context)
        if place.kind == 'bytes':
            return sealed.seal_bytes(bytes(stored), context=place.context)
        return sealed.seal_text(stored, context=place.context)

    return seal


def _opener(place: Place) -> Any:
    def open_(stored: Any) -> Any:
        if stored is None or not resealing.is_sealed(stored):
            return None
        if place.kind == 'json':
            if stored == {} or stored == '{}':
                return None
            return sealed.open_json(stored, context=place.context)
        if place.kind == 'bytes':
            return sealed.open_bytes(stored, context=place.context)
        return sealed.open_text(stored, context=place.context)

    return open_


def upgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    if postgresql:
        for (table, column), length in TEXTS.items():
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length))
    # A processed update's JSON is not kept.
    dropped = bind.execute(
        sa.text("UPDATE inbox SET payload = '{}' WHERE done_at IS NOT NULL AND payload <> '{}'")
        if not postgresql else
        sa.text("UPDATE inbox SET payload = '{}'::jsonb WHERE done_at IS NOT NULL "
                "AND payload <> '{}'::jsonb")
    ).rowcount
    written = sum(resealing.rewrite(bind, place, _sealer(place)) for place in PLACES)
    if written or dropped:
        _wipe(postgresql)


def _wipe(postgresql: bool) -> None:
    """Rewrite the files so that no page keeps the plain values (outside the transaction)."""
    with op.get_context().autocommit_block():
        bind = op.get_bind()
        if postgresql:
            for table in sorted({place.table for place in PLACES}):
                bind.exec_driver_sql(f'VACUUM FULL "{table}"')
        else:
            bind.exec_driver_sql('VACUUM')
            bind.exec_driver_sql('PRAGMA wal_checkpoint(TRUNCATE)')


def downgrade() -> None:
    bind = op.get_bind()
    for place in PLACES:
        resealing.rewrite(bind, place, _opener(place))
    if bind.dialect.name == 'postgresql':
        for (table, column), length in TEXTS.items():
            op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text())
