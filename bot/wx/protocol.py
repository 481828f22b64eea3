"""WeChat's callback protocol, read through wechatpy: the signature, safe mode, the XML.

A callback is checked and read before anything is stored: a wrong signature (or, in safe
mode, a wrong message signature or a body our AES key does not open) is refused; what is
signed but not readable (malformed XML, an XML bomb: entities are refused by xmltodict,
which wechatpy parses with) becomes an `Incoming` of kind "unreadable" when the sender's
openid can still be seen, so the person is asked to type their answer; a message type we
do not read (voice, image, location…) becomes kind "other" with the same answer.

An incoming message is stored in the inbox under a number: WeChat's MsgId for a message; an
event has none (WeChat says to tell events apart by FromUserName and CreateTime), so its
number is its CreateTime in microseconds plus a hash of the sender and the event.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from bot.wx.ids import account_number, chat_number

MAX_BODY = 64 * 1024  # a callback is well under 4 KB (a text message holds at most 2,048 bytes)
# An openid is 28 characters of [A-Za-z0-9_-]; a little room for other accounts' ids.
_OPENID = re.compile(r"[A-Za-z0-9_-]{6,64}")
_FROM = re.compile(rb"<FromUserName>\s*<!\[CDATA\[([A-Za-z0-9_-]{6,64})\]\]>\s*</FromUserName>")
# The menu's keys (bot.wx.menu) and what each one types.
MENU_COMMANDS = {"status": "/status", "documents": "/documents", "change": "/change"}
HELP_KEY = "help"


class RefusedError(Exception):
    """A callback not from WeChat (or not for us): answered with `status`, nothing stored."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.why = why


@dataclass(frozen=True)
class Incoming:
    """One callback as the channel uses it (stored as `payload()` in the inbox)."""

    key: int  # the inbox's update id
    openid: str
    kind: str  # "text", "command", "start", "help", "unreadable", "other", "ignore"
    text: str | None = None
    created: int = 0

    def payload(self) -> dict[str, Any]:
        """Return the JSON the inbox keeps."""
        return {"openid": self.openid, "kind": self.kind, "text": self.text, "at": self.created}

    @classmethod
    def from_payload(cls, key: int, payload: dict[str, Any]) -> Incoming:
        """Rebuild what `payload()` stored."""
        text = payload.get("text")
        return cls(
            key,
            str(payload.get("openid", "")),
            str(payload.get("kind", "other")),
            text if isinstance(text, str) else None,
            int(payload.get("at") or 0),
        )


@dataclass(frozen=True)
class Keys:
    """What checks and opens a callback: the token, and in safe mode the AES key and app id."""

    token: str
    app_id: str
    aes_key: str | None = None

    def crypto(self) -> WeChatCrypto | None:
        """Return safe mode's crypto, or None when no AES key is set (plain mode only)."""
        if not self.aes_key:
            return None
        return WeChatCrypto(self.token, self.aes_key, self.app_id)


# A signed request is WeChat's only while its timestamp is recent: a replay of an old one
# (its MsgId forgotten by the inbox after 48 hours) is refused. WeChat retries within
# seconds; the margin is for clocks that disagree.
FRESH_FOR = 3600  # seconds


def check(keys: Keys, query: Mapping[str, str], now: float | None = None) -> None:
    """Refuse (403) a request whose `signature` is not WeChat's for our token, or whose
    timestamp is more than an hour away from `now` (a replay)."""
    if now is not None:
        stamp = query.get("timestamp", "")
        if not stamp.isdigit() or abs(int(stamp) - now) > FRESH_FOR:
            raise RefusedError(403, "timestamp missing or not within an hour of now")
    try:
        check_signature(
            keys.token,
            query.get("signature", ""),
            query.get("timestamp", ""),
            query.get("nonce", ""),
        )
    except InvalidSignatureException as exc:
        raise RefusedError(403, "wrong signature") from exc


def opened(keys: Keys, query: Mapping[str, str], body: bytes) -> bytes:
    """Return the callback's message XML: decrypted in safe mode (refused, 403, when the
    message signature is wrong or our key does not open it), as posted in plain mode."""
    if query.get("encrypt_type", "raw") != "aes":
        return body
    crypto = keys.crypto()
    if crypto is None:
        raise RefusedError(403, "an encrypted message, and no WECHAT_AES_KEY")
    try:
        message = crypto.decrypt_message(
            body,
            query.get("msg_signature", ""),
            query.get("timestamp", ""),
            query.get("nonce", ""),
        )
    except (InvalidSignatureException, InvalidAppIdException) as exc:
        raise RefusedError(403, f"safe mode: {type(exc).__name__}") from exc
    except Exception as exc:  # not XML, no Encrypt, a key that gives garbage, bad padding
        raise RefusedError(403, f"safe mode: not opened ({type(exc).__name__})") from exc
    return message.encode() if isinstance(message, str) else bytes(message)


def read(xml: bytes) -> Incoming | None:
    """Return the message a callback holds; None when there is nobody to answer."""
    try:
        message = parse_message(xml.decode("utf-8"))
    except Exception:  # malformed XML, an entity (a bomb), no MsgType, not UTF-8
        found = _FROM.search(xml)
        if found is None:
            return None
        openid = found.group(1).decode()
        return Incoming(_number(openid, b"unreadable", xml), openid, "unreadable")
    if message is None:
        return None
    openid = str(getattr(message, "source", "") or "")
    if not _OPENID.fullmatch(openid):
        return None
    created = _created(message)
    kind = str(getattr(message, "type", ""))
    if kind == "text":
        content = str(getattr(message, "content", "") or "")
        return Incoming(_msg_id(message, openid, created), openid, "text", content, created)
    if kind == "event":
        return _event(message, openid, created)
    return Incoming(_msg_id(message, openid, created), openid, "other", None, created)


def _event(message: Any, openid: str, created: int) -> Incoming:
    event = str(getattr(message, "event", "") or "").lower()
    key = str(getattr(message, "key", "") or "")
    number = _number(openid, f"{event}:{key}".encode(), str(created).encode(), created)
    if event == "subscribe":
        return Incoming(number, openid, "start", "/start", created)
    if event == "click" and key in MENU_COMMANDS:
        return Incoming(number, openid, "command", MENU_COMMANDS[key], created)
    if event == "click" and key == HELP_KEY:
        return Incoming(number, openid, "help", "/help", created)
    return Incoming(number, openid, "ignore", None, created)  # unsubscribe, a link opened…


def _created(message: Any) -> int:
    when: Any = getattr(message, "time", None)
    try:
        return int(when.timestamp()) if hasattr(when, "timestamp") else int(when or 0)
    except (TypeError, ValueError, OverflowError):
        return 0


def _msg_id(message: Any, openid: str, created: int) -> int:
    value: Any = getattr(message, "id", None)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if 0 < number < 2**63:
        return number
    return _number(openid, b"message", str(created).encode(), created)


def _number(openid: str, what: bytes, extra: bytes, created: int = 0) -> int:
    """A stable inbox number for what has no MsgId: its time first, so a chat's events keep
    their order among themselves; a hash of who and what (a redelivery gets the same)."""
    digest = hashlib.blake2b(openid.encode() + b"\0" + what + b"\0" + extra, digest_size=8)
    low = int.from_bytes(digest.digest(), "big") % 1_000_000
    return max(created, 0) % 2**40 * 1_000_000 + low


__all__ = ["account_number", "chat_number"]
