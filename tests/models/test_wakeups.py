"""Instances waking each other on PostgreSQL (issue 16): LISTEN/NOTIFY on a schema's channel."""

from __future__ import annotations

import asyncio
import json

import pytest

from models import migrate, wakeups
from models.database import Database
from models.db import make_engine


def test_a_note_carries_the_update_unless_it_is_too_long() -> None:
    short = wakeups.read(wakeups.note(7, 42, 1001, {"update_id": 1001, "text": "企业"}))
    assert short == wakeups.Note(7, 42, 1001, {"update_id": 1001, "text": "企业"})
    long = wakeups.read(wakeups.note(7, 42, 1002, {"text": "长" * 4000}))  # 12,000 bytes
    assert long == wakeups.Note(7, 42, 1002, None)
    assert wakeups.read("not json") is None
    assert wakeups.read(json.dumps({"b": 1})) is None
    assert wakeups.channel("s1") == wakeups.channel("s1") != wakeups.channel("s2")


@pytest.mark.postgres
def test_a_notification_reaches_the_listener_of_its_schema_only(
    postgres_schema_url: str,
) -> None:
    migrate.upgrade(postgres_schema_url)
    engine = make_engine(postgres_schema_url)
    heard: list[str] = []
    channels: list[str] = []

    async def main() -> None:
        ready = asyncio.Event()

        def listening(name: str) -> None:
            channels.append(name)
            ready.set()

        task = asyncio.create_task(wakeups.listen(engine, listening, heard.append))
        await asyncio.wait_for(ready.wait(), 10)
        db = Database(engine=engine)
        notes = [wakeups.note(7, 42, n, {"update_id": n}) for n in (1, 2)]
        await db.run(lambda raw: wakeups.send(raw, channels[0], notes))
        await db.run(lambda raw: wakeups.send(raw, wakeups.channel("elsewhere"), notes[:1]))
        for _ in range(100):
            if len(heard) >= 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # anything more would have come by now
        task.cancel()

    asyncio.run(main())
    engine.dispose()
    assert [wakeups.read(p) for p in heard] == [
        wakeups.Note(7, 42, 1, {"update_id": 1}),
        wakeups.Note(7, 42, 2, {"update_id": 2}),
    ]


@pytest.mark.postgres
def test_instances_starting_at_once_migrate_once(postgres_schema_url: str) -> None:
    """Four `beian serve`s starting together each run the migration: the advisory lock lets
    one migrate while the others wait and then find the head (no duplicate-table error)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: migrate.upgrade(postgres_schema_url), range(4)))
    assert migrate.current_revision(postgres_schema_url) == migrate.head_revision()
