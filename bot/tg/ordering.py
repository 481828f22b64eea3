"""Updates of different people at the same time; each person's updates in the order they came.

PTB processes updates one after another by default: while one applicant's documents render
(a few hundred milliseconds), everybody else waits. Its `concurrent_updates` runs them all at
once, and then two quick messages from one person could be answered out of order. This
processor runs updates concurrently across chats and one at a time within a chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across chats, sequential (in arrival order) within one chat."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        # chat id -> (its lock, how many of its updates hold or wait for it)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}

    @staticmethod
    def chat_of(update: object) -> int | None:
        """Return the chat an update belongs to (None: no chat, no ordering needed)."""
        if isinstance(update, Update) and update.effective_chat is not None:
            return update.effective_chat.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = self.chat_of(update)
        if chat is None:
            await coroutine
            return
        lock, users = self._chats.get(chat) or (asyncio.Lock(), 0)
        self._chats[chat] = (lock, users + 1)
        try:
            async with lock:  # asyncio.Lock wakes its waiters in the order they came
                await coroutine
        finally:
            lock, users = self._chats[chat]
            if users == 1:
                del self._chats[chat]
            else:
                self._chats[chat] = (lock, users - 1)

    def waiting_chats(self) -> int:
        """Return how many chats have an update in hand or waiting (for tests and metrics)."""
        return len(self._chats)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
