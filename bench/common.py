"""What several benches build alike: a private-chat text update, a free local port, a fresh
PostgreSQL schema, a data key of the run's own."""

from __future__ import annotations

import os
import socket
import time
from typing import Any


def text_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    """A private chat's text message as Telegram sends it (a command gets its entity)."""
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "测", "language_code": "zh-hans"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_schema(base: str, schema: str) -> str:
    """Drop and create `schema` on the PostgreSQL at `base`; return a URL working in it."""
    import sqlalchemy as sa

    from models.db import make_engine

    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def drop_schema(base: str, schema: str) -> None:
    """Drop `schema` (and everything in it) on the PostgreSQL at `base`."""
    import sqlalchemy as sa

    from models.db import make_engine

    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def use_a_bench_key() -> None:
    """Seal with a key of this run's own (a bench's databases are thrown away after it), in
    this process and in every `beian` it starts (BEIAN_DATA_KEY in the environment)."""
    from models import sealed

    key = sealed.encode_key(sealed.new_key())
    os.environ["BEIAN_DATA_KEY"] = key
    sealed.install(sealed.Keyring(sealed.parse_keys(key, origin="the bench"), origin="the bench"))
