"""Every Bot API call that changes something goes through here first: the update in hand
answered before it was stored (`bot.answer_first`, PostgreSQL) is stored before its handler's
first message goes out, and its handler is stopped there (`models.inbox.StoreFirst`) when it
is behind an earlier message of its chat or was answered before (a redelivery).

PTB passes every call but getUpdates through the bot's rate limiter, unwrapped (its request
layer would turn any other exception into a NetworkError), so this is one: it wraps the
rate limiter the bot has (`bot.tg.app.rate_limiter`), or none."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram._utils.types import JSONDict
from telegram.ext import BaseRateLimiter

from models import inbox


class StoredBeforeSending(BaseRateLimiter[Any]):
    """The bot's rate limiter (`inner`, or none), with the update in hand stored before a
    call that sends or changes something (not the reads: getFile, getMe…)."""

    def __init__(self, inner: BaseRateLimiter[Any] | None = None) -> None:
        self.inner = inner

    async def initialize(self) -> None:
        if self.inner is not None:
            await self.inner.initialize()

    async def shutdown(self) -> None:
        if self.inner is not None:
            await self.inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> bool | JSONDict | list[JSONDict]:
        if not endpoint.startswith("get"):
            await inbox.before_effect()
        if self.inner is None:
            return await callback(*args, **kwargs)
        return await self.inner.process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
