"""WeChat's API through wechatpy's client: the access token, customer-service, template and
subscription messages, the menu (and the English one for clients set to English).
wechatpy's client is synchronous (requests): calls run in a thread.

wechatpy keeps the access token and fetches a new one when WeChat says it is invalid or
expired (40001, 40014, 42001) and retries the call once. Its token request has WeChat's host
written in; `Client` asks the configured base (`WECHAT_API_BASE_URL`) instead.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException

from models import inbox

log = logging.getLogger(__name__)

DEFAULT_BASE = "https://api.weixin.qq.com"
TEXT_LIMIT = 2048  # bytes of UTF-8 in one customer-service text message (45002 beyond it)
# The customer-service window has closed (48 hours since the person last wrote) or they
# unfollowed: only a template (or subscription) message may reach them now.
OUT_OF_WINDOW = 45015
UNFOLLOWED = 43004
NOT_SUBSCRIBED = 43101  # a subscription message the person has not (or no longer) accepted
# WeChat busy (-1), too many calls (45009), or no answer (0, ours): the same send may go later.
TRANSIENT = frozenset({0, -1, 45009})
TIMEOUT = 10.0


class Client(WeChatClient):  # type: ignore[misc]
    """wechatpy's client pointed at `base` (WeChat's host, or a stand-in in tests)."""

    def __init__(self, app_id: str, secret: str, base: str = DEFAULT_BASE) -> None:
        super().__init__(app_id, secret, timeout=TIMEOUT)
        self.base = base.rstrip("/")
        self.API_BASE_URL = f"{self.base}/cgi-bin/"

    def fetch_access_token(self) -> Any:
        """Fetch a token from the configured base (wechatpy's own names WeChat's host)."""
        return self._fetch_access_token(
            url=f"{self.base}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


@dataclass(frozen=True)
class SendResult:
    """How a send went: sent, or WeChat's error code (0 when the call failed otherwise)."""

    ok: bool
    errcode: int = 0
    errmsg: str = ""


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a text into messages of at most `limit` UTF-8 bytes, at line ends where it can."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode()) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(line.encode()) > limit:  # one line too long: cut it by characters
            cut = limit // 4
            while len(line[: cut + 1].encode()) <= limit and cut < len(line):
                cut += 1
            parts.append(line[:cut])
            line = line[cut:]
        current = line
    if current or not parts:
        parts.append(current)
    return parts


@dataclass
class WeChatApi:
    """The calls the channel makes, each in a thread, errors as `SendResult`s."""

    client: Client

    async def send_text(self, openid: str, text: str) -> SendResult:
        """Send a customer-service text (split at WeChat's limit); stop at the first refusal."""
        for part in split_text(text):
            result = await self._call(self.client.message.send_text, openid, part)
            if not result.ok:
                return result
        return SendResult(True)

    async def send_template(
        self, openid: str, template_id: str, data: dict[str, Any], url: str | None = None
    ) -> SendResult:
        """Send a template message (outside the 48-hour window)."""
        return await self._call(self.client.message.send_template, openid, template_id, data, url)

    async def send_subscription(
        self, openid: str, template_id: str, data: dict[str, Any]
    ) -> SendResult:
        """Send a subscription message (订阅通知, `message/subscribe/bizsend`): reaches a person
        who accepted the template, whether or not they wrote in the last 48 hours."""
        body = {"touser": openid, "template_id": template_id, "data": data}
        return await self._call(partial(self.client.post, "message/subscribe/bizsend", data=body))

    async def create_menu(self, menu: dict[str, Any]) -> SendResult:
        """Set the account's custom menu (自定义菜单)."""
        return await self._call(self.client.menu.create, menu)

    async def delete_menus(self) -> SendResult:
        """Delete the account's menus, the default one and the personalised ones."""
        return await self._call(self.client.menu.delete)

    async def add_conditional_menu(self, menu: dict[str, Any]) -> SendResult:
        """Add a personalised menu (个性化菜单) shown to the clients its `matchrule` names."""
        return await self._call(self.client.menu.add_conditional, menu)

    async def _call(self, method: Any, *args: Any) -> SendResult:
        await inbox.before_effect()  # an update answered first is stored before it is answered
        try:
            await asyncio.to_thread(method, *args)
        except WeChatClientException as exc:
            code = int(exc.errcode) if exc.errcode is not None else 0
            return SendResult(False, code, str(exc.errmsg or "")[:200])
        except Exception as exc:  # the network: no answer, a refused connection
            return SendResult(False, 0, type(exc).__name__)
        return SendResult(True)
