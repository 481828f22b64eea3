"""Walking the sealed columns row by row: sealing plain rows (migration 0018_sealed), opening
them again (its downgrade), sealing them under the current key (`beian keys rotate`), and
counting the values each key sealed (`beian keys show`).

Rows are read by primary key in batches and each batch is committed on its own, so a table of
any size is walked in bounded memory and a walk cut short is taken up where it stopped (a row
already done is skipped). A row is written back only if it still holds what was read: a bot
writing the same row meanwhile wins, and its value is seen by the next pass.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from models.sealed import PREFIX, SEALED_TYPES, SealedBytes, SealedJSON, sealed_key_id

BATCH = 200  # rows per transaction (documents: 20, they are large)


@dataclass(frozen=True)
class Place:
    """A sealed column: its table, the table's primary key, the column and how it is kept
    ("json", "text" or "bytes"). Its name, table.column, is the AEAD's associated data."""

    table: str
    keys: tuple[str, ...]
    column: str
    kind: str

    @property
    def context(self) -> str:
        return f"{self.table}.{self.column}"


def places(metadata: sa.MetaData) -> list[Place]:
    """Return the sealed columns of `metadata`'s tables."""
    found = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for column in table.columns:
            if isinstance(column.type, SEALED_TYPES):
                kind = (
                    "json"
                    if isinstance(column.type, SealedJSON)
                    else "bytes"
                    if isinstance(column.type, SealedBytes)
                    else "text"
                )
                keys = tuple(c.name for c in table.primary_key.columns)
                found.append(Place(table.name, keys, column.name, kind))
    return found


def _raw_type(place: Place, dialect: str) -> sa.types.TypeEngine[Any]:
    """The column's type as stored, without sealing: JSON as its text on SQLite (so a row is
    compared with exactly what was read), JSONB on PostgreSQL."""
    if place.kind == "bytes":
        return sa.LargeBinary()
    if place.kind == "json" and dialect == "postgresql":
        return JSONB()
    return sa.Text()


def _table(place: Place, dialect: str) -> sa.TableClause:
    return sa.table(
        place.table,
        *(sa.column(k) for k in place.keys),
        sa.column(place.column, _raw_type(place, dialect)),
    )


def key_of(place: Place, table: sa.TableClause, dialect: str) -> sa.ColumnElement[Any]:
    """SQL for the key id a row's value names (NULL: nothing sealed, or `{}`)."""
    value = table.c[place.column]
    if place.kind == "json":
        if dialect == "postgresql":
            return value.op("->>")(sa.literal("k"))
        return sa.func.json_extract(value, "$.k")
    start, length = len(PREFIX) + 1, 8
    if place.kind == "bytes":
        head: sa.ColumnElement[Any] = sa.func.substr(value, 1, len(PREFIX))
        kid: sa.ColumnElement[Any] = sa.func.substr(value, start, length)
        if dialect == "postgresql":
            head, kid = sa.func.encode(head, "escape"), sa.func.encode(kid, "escape")
        else:
            head, kid = sa.cast(head, sa.Text), sa.cast(kid, sa.Text)
        return sa.case((head == PREFIX, kid), else_=None)
    return sa.case(
        (sa.func.substr(value, 1, len(PREFIX)) == PREFIX, sa.func.substr(value, start, length)),
        else_=None,
    )


def count_by_key(conn: sa.Connection, place: Place) -> dict[str | None, int]:
    """Return how many rows of `place` each key id sealed (None: rows with nothing sealed)."""
    dialect = conn.dialect.name
    table = _table(place, dialect)
    kid = key_of(place, table, dialect).label("kid")
    rows = conn.execute(sa.select(kid, sa.func.count()).select_from(table).group_by(kid))
    return {row[0]: int(row[1]) for row in rows}


def newest_key(conn: sa.Connection, place: Place) -> str | None:
    """Return the key id of the newest sealed value of `place` (None: none sealed)."""
    dialect = conn.dialect.name
    table = _table(place, dialect)
    kid = key_of(place, table, dialect)
    query = (
        sa.select(kid)
        .where(kid.is_not(None))
        .order_by(*(table.c[k].desc() for k in place.keys))
        .limit(1)
    )
    found = conn.execute(query).scalar()
    return str(found) if found is not None else None


Change = Callable[[Any], Any]  # a stored value → the value to store (None: leave the row)


def rewrite(
    engine: sa.Engine | sa.Connection,
    place: Place,
    change: Change,
    *,
    only_keys_other_than: str | None = None,
    batch: int | None = None,
    after_batch: Callable[[int], None] | None = None,
) -> int:
    """Give each row's stored value of `place` to `change` and store what it returns (when not
    None), a batch per transaction; return how many rows were written. `only_keys_other_than`:
    only rows whose value names another key id (or none). With a Connection (a migration),
    everything runs in its transaction."""
    size = batch or (20 if place.kind == "bytes" else BATCH)
    dialect = engine.dialect.name
    table = _table(place, dialect)
    keys = [table.c[k] for k in place.keys]
    value = table.c[place.column]
    wanted: sa.ColumnElement[bool] = value.is_not(None)
    if only_keys_other_than is not None:
        kid = key_of(place, table, dialect)
        wanted = sa.and_(wanted, sa.or_(kid.is_(None), kid != only_keys_other_than))
    last: tuple[Any, ...] | None = None
    written = 0
    while True:
        query = sa.select(*keys, value).where(wanted).order_by(*keys).limit(size)
        if last is not None:
            query = query.where(sa.tuple_(*keys) > sa.tuple_(*last))
        with _transaction(engine) as conn:
            rows = conn.execute(query).all()
            for row in rows:
                stored = row[-1]
                new = change(stored)
                if new is None:
                    continue
                if place.kind == "json" and dialect != "postgresql":
                    new = json.dumps(new, separators=(",", ":"))
                same = [k == row[i] for i, k in enumerate(keys)]
                done = conn.execute(
                    sa.update(table).where(*same, value == stored).values({place.column: new})
                )
                written += done.rowcount
        if rows:
            last = tuple(rows[-1][: len(keys)])
            if after_batch is not None:
                after_batch(written)
        if len(rows) < size:
            return written


@contextlib.contextmanager
def _transaction(engine: sa.Engine | sa.Connection) -> Iterator[sa.Connection]:
    """A transaction on an engine (committed on leaving), or the connection given as it is."""
    if isinstance(engine, sa.Connection):
        yield engine
        return
    with engine.begin() as conn:
        yield conn


def is_sealed(stored: Any) -> bool:
    """Say whether a stored value is sealed (an empty object counts: nothing to seal)."""
    if stored is None:
        return True
    if isinstance(stored, str) and stored.startswith("{"):
        stored = json.loads(stored)
    if stored == {}:
        return True
    return sealed_key_id(stored) is not None


def each_place(conn: sa.Connection, chosen: Iterable[Place]) -> list[Place]:
    """Return the places of `chosen` whose table exists on `conn` (a database part-migrated)."""
    names = set(sa.inspect(conn).get_table_names())
    return [p for p in chosen if p.table in names]
