"""WeChat's adapter of the inbox processor (`bot.chat_inbox`): callbacks stored before
"success", processed chat by chat.

A callback is stored (and committed) before WeChat is answered "success" (`accept`); a
redelivery (WeChat retries three times when no answer comes within 5 s) hits the inbox's
key (the MsgId) and is skipped. Claims, order, crash recovery, a turn's stored replies and
wake-ups between instances are the channel-neutral processor's, as for Telegram; a chat is an
openid (its number: `bot.wx.ids.chat_number`), answered by the subclass's `handle`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.chat_inbox import CLAIM_LEASE, FLUSH_AFTER, SWEEP_EVERY, ChatInbox
from bot.wx.ids import chat_number
from bot.wx.protocol import Incoming
from models import inbox

__all__ = ["CHANNEL", "CLAIM_LEASE", "FLUSH_AFTER", "SWEEP_EVERY", "WeChatInbox"]

log = logging.getLogger(__name__)

CHANNEL = "wechat"


@dataclass(kw_only=True)
class WeChatInbox(ChatInbox[Incoming]):
    """Store callbacks, then process them chat by chat (`handle`, `send_plan`: the channel's)."""

    # Callbacks parsed and kept in memory until processed (each is small).
    max_local: int = 1024
    what: str = "wechat message"

    async def handle(self, item: Incoming) -> bool:
        """Answer one message; True when a turn marked its inbox row done."""
        raise NotImplementedError

    async def send_plan(self, openid: str, plan: Sequence[dict[str, Any]]) -> None:
        """Send a turn's planned replies to a person."""
        raise NotImplementedError

    async def _apologise(self, openid: str) -> None:
        """Tell the person briefly that their message failed."""
        raise NotImplementedError

    async def accept(self, incoming: Incoming) -> bool:
        """Store one callback (committed when this returns) and wake its chat; False when it
        was stored before (a redelivery)."""
        received = inbox.Received(
            incoming.key,
            chat_number(incoming.openid),
            inbox.storable(incoming.payload()),
            CHANNEL,
            incoming.openid,
        )
        return bool(await self.store([(incoming, received)]))

    def parse(self, key: int, payload: dict[str, Any]) -> Incoming:
        return Incoming.from_payload(key, payload)

    def chat_of(self, item: Incoming) -> int:
        return chat_number(item.openid)

    async def resend(self, row: inbox.Unsent) -> None:
        # The row's own address (its payload is dropped once done, `models.inbox`).
        if row.chat_ref:
            await self.send_plan(row.chat_ref, row.reply)

    async def apologise_for(self, chat_id: int, item: Incoming | None) -> None:
        if item is not None:
            await self._apologise(item.openid)
