"""The numbers the inbox and the outbox know a WeChat account and person by (no wechatpy here:
the filing actions use them for every channel)."""

from __future__ import annotations

import hashlib


def chat_number(openid: str) -> int:
    """The inbox's chat id for an openid (the inbox orders and claims chats by number)."""
    digest = hashlib.blake2b(openid.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1  # 63 bits: a positive BIGINT


def account_number(app_id: str) -> int:
    """The inbox's bot id for an Official Account: negative, so never a Telegram bot's id."""
    digest = hashlib.blake2b(app_id.encode(), digest_size=6).digest()
    return -1 - int.from_bytes(digest, "big")
