"""Instances waking each other on PostgreSQL (LISTEN/NOTIFY), for the inbox (issue 16).

Behind a round-robin load balancer a person's next update often reaches an instance that does
not hold their chat. It is stored (the inbox) and the holder is told at once with a NOTIFY on
the database's channel, carrying the update's JSON when it fits (PostgreSQL allows 8,000
bytes), so the holder processes it with the interview still in memory, without waiting for its
sweep or reading the row back. A lost notification costs only time: the sweep still finds
every stored row.

The channel is named after the schema, so databases sharing a server (tests' schemas) do not
hear each other.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from models import sealed
from models.db import Prepared, Raw

NOTE_CONTEXT = "inbox.note"  # the sealed JSON's associated data
MAX_PAYLOAD = 7_900  # bytes; PostgreSQL refuses a NOTIFY payload of 8,000 or more
_NOTIFY: dict[str, Prepared] = {}


@dataclass(frozen=True)
class Note:
    """An update stored for a chat: who should process it, and its JSON when it fitted."""

    bot_id: int
    chat_id: int
    update_id: int
    raw: dict[str, Any] | None


def channel(schema: str) -> str:
    """Return the channel of a schema (a valid identifier, the same on every instance)."""
    return "beian_inbox_" + hashlib.sha256(schema.encode()).hexdigest()[:16]


def note(bot_id: int, chat_id: int, update_id: int, raw: dict[str, Any] | None) -> str:
    """Write a notification's payload (without the JSON when it would not fit). The update's
    JSON is sealed (`models.sealed`), as in the inbox: any session that LISTENs on the
    database hears the notifications."""
    body: dict[str, Any] = {"b": bot_id, "c": chat_id, "u": update_id}
    if raw is not None:
        hidden = sealed.seal_json(raw, context=NOTE_CONTEXT)
        whole = json.dumps({**body, "s": hidden}, separators=(",", ":"))
        if len(whole.encode()) <= MAX_PAYLOAD:
            return whole
    return json.dumps(body, separators=(",", ":"))


def read(payload: str) -> Note | None:
    """Read a payload; None when it is not one of ours (an update's JSON that does not open
    is left out: the row is read back)."""
    try:
        body = json.loads(payload)
        raw = None
        if "s" in body:
            with contextlib.suppress(sealed.SealError):
                raw = sealed.open_json(body["s"], context=NOTE_CONTEXT)
        return Note(
            int(body["b"]), int(body["c"]), int(body["u"]), raw if isinstance(raw, dict) else None
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def send(raw: Raw, channel_name: str, payloads: list[str]) -> None:
    """Notify the channel (delivered when this commits) and commit."""
    prepared = _NOTIFY.get(raw.dialect.name)
    if prepared is None:
        statement = sa.select(
            sa.func.pg_notify(sa.bindparam("channel", type_=sa.Text), sa.bindparam("payload"))
        )
        prepared = _NOTIFY[raw.dialect.name] = Prepared(statement, raw.dialect)
    for payload in payloads:
        raw.fetch(prepared, {"channel": channel_name, "payload": payload})
    raw.commit()


def conninfo(engine: sa.Engine) -> str:
    """Return the engine's database as a libpq URI (for psycopg's own async connection)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(
    engine: sa.Engine, listening: Callable[[str], None], woken: Callable[[str], None]
) -> None:
    """LISTEN on the engine's channel on a connection of its own; call `listening(channel)`
    once it listens and `woken(payload)` for each notification, until the connection ends."""
    import psycopg  # PostgreSQL only

    async with await psycopg.AsyncConnection.connect(conninfo(engine), autocommit=True) as conn:
        cursor = await conn.execute("SELECT current_schema()")
        row = await cursor.fetchone()
        name = channel(str(row[0] if row else "public"))
        await conn.execute(f'LISTEN "{name}"')
        listening(name)
        async for notification in conn.notifies():
            woken(notification.payload)
