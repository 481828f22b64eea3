"""Updates of different chats at once; one chat's updates one at a time, in arrival order."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Chat, Message, Update

from bot.tg.ordering import PerChatUpdateProcessor


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(update_id, date=None, chat=chat, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


def test_chats_run_concurrently_and_each_chat_in_order() -> None:
    log: list[str] = []

    async def play() -> PerChatUpdateProcessor:
        processor = PerChatUpdateProcessor(8)
        slow_may_finish = asyncio.Event()

        async def handle(name: str, wait: asyncio.Event | None = None) -> None:
            log.append(f"{name} start")
            if wait is not None:
                await wait.wait()
            else:
                await asyncio.sleep(0)
            log.append(f"{name} end")

        async def other_chat_then_release() -> None:
            await processor.process_update(_update(3, 2), handle("b1"))
            slow_may_finish.set()  # only once the other chat was served

        tasks: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(
                processor.process_update(_update(1, 1), handle("a1", slow_may_finish))
            ),
            asyncio.ensure_future(processor.process_update(_update(2, 1), handle("a2"))),
            asyncio.ensure_future(other_chat_then_release()),
        ]
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
        return processor

    processor = asyncio.run(play())
    # Chat 2 was served while chat 1's first update was still in hand; chat 1's second update
    # waited for its first.
    assert log.index("b1 end") < log.index("a1 end")
    assert log.index("a1 end") < log.index("a2 start")
    assert processor.waiting_chats() == 0  # nothing left behind
