"""A Bot API request that answers every call at once, as Telegram would (no sockets).

For tests and benchmarks that run a real `Application` in-process: `Application.process_update`
goes through the handlers and their Bot API calls are answered here and counted. A call over
Telegram's limits (a text too long, a button's data too big) is refused as Telegram refuses it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from telegram.request import BaseRequest, RequestData

from tests.fakes.bot_api import BOT_USER, call_refusal


class RecordingRequest(BaseRequest):
    """Answer every Bot API call at once, as Telegram would, and count the calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.refusals: list[str] = []
        self._ids = 0

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        self.calls += 1
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        refusal = call_refusal(name, params)
        if refusal is not None:
            self.refusals.append(refusal)
            answer = {"ok": False, "error_code": 400, "description": refusal}
            return 400, json.dumps(answer).encode()
        result: Any = True
        if name == "getMe":
            result = BOT_USER
        elif name in ("sendMessage", "sendDocument"):
            self._ids += 1
            result = {
                "message_id": self._ids,
                "date": int(time.time()),
                "chat": {"id": params.get("chat_id"), "type": "private"},
                "text": params.get("text", ""),
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()
