"""Run `beian serve` as a subprocess against the fake Bot API and chat with it as a person."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from models import migrate
from tests.fakes.bot_api import FakeBotAPI

BEIAN = Path(sys.executable).parent / "beian"
TOKEN = "123456789:TESTtokenForTheLocalFakeBotApiServer0"
_TEMPLATE: list[Path] = []  # one migrated SQLite file per test process


def _migrated_copy(target: Path) -> None:
    """Put a database at the head at `target`, copied from one migrated once per test process:
    a bot started on a fresh file would migrate in a child process first (~1 s each; that path
    has its own tests), as `make run` does not (it migrates before it serves)."""
    if not _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="beian-template-"))
        migrate.upgrade(f"sqlite:///{folder / 'bot.db'}")
        _TEMPLATE.append(folder / "bot.db")
    shutil.copy2(_TEMPLATE[0], target)  # 0600, as the original


class BotProcess:
    """`beian serve` in polling (default) or webhook mode, pointed at the fake server."""

    def __init__(
        self,
        fake: FakeBotAPI,
        workdir: Path,
        *,
        webhook: list[str] | None = None,
        env: Mapping[str, str | None] | None = None,
        log_name: str = "serve.log",
    ):
        self.fake = fake
        self.workdir = workdir
        self.webhook = webhook
        self.extra_env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / log_name

    def env(self) -> dict[str, str]:
        """The bot's environment: this one, the fake server's, then `env` (None: unset)."""
        merged: dict[str, str | None] = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.fake.base_url,
            "DATABASE_URL": f"sqlite:///{self.workdir / 'bot.db'}",
            "BEIAN_TODAY": "2026-11-28",
            "BEIAN_NOW": "2026-11-28T10:00:00+08:00",  # the reminders' clock
            "BEIAN_PACK": "example",
            # webhook mode's /healthz and /metrics: a port of the system's choosing, so that
            # bots of tests running at once never meet on 9464
            "BEIAN_METRICS_LISTEN": "127.0.0.1:0",
            **self.extra_env,
        }
        return {name: value for name, value in merged.items() if value is not None}

    def start(self) -> BotProcess:
        database = self.workdir / "bot.db"
        if self.env()["DATABASE_URL"] == f"sqlite:///{database}" and not database.exists():
            _migrated_copy(database)
        ready_before = len(self.fake.calls_of("setWebhook" if self.webhook else "deleteWebhook"))
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(BEIAN), "serve", *(self.webhook or [])],
                cwd=self.workdir,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        method = "setWebhook" if self.webhook else "deleteWebhook"
        self.fake.wait_until(
            lambda: len(self.fake.calls_of(method)) > ready_before or self._died(), 60
        )
        assert not self._died(), self.log.read_text(encoding="utf-8")
        return self

    def _died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def stop(self) -> int:
        """Send SIGTERM and wait: the exit code of a graceful shutdown."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def kill(self) -> None:
        """Kill the process at once (SIGKILL): no shutdown, no cleanup, like a power cut."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(30)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def message_text(message: dict[str, Any]) -> str:
    """Return what a person sees of a message: its text (or caption) and its button labels."""
    parts = [message.get("text") or message.get("caption") or ""]
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        parts += [button["text"] for button in row]
    return "\n".join(parts)


def _unnumbered(text: str) -> str:
    """A button's label without its tick and number ("✅ 3. 论坛/社区" → "论坛/社区")."""
    return re.sub(r"^(✅ )?\d+\. ", "", text)


class Person:
    """A Telegram user in a private chat with the bot."""

    def __init__(self, fake: FakeBotAPI, user_id: int, language_code: str = "zh-hans"):
        self.fake = fake
        self.user_id = user_id
        self.language_code = language_code

    def last_keyboard(self) -> dict[str, Any] | None:
        for message in reversed(self.fake.chat_messages(self.user_id)):
            if (message.get("reply_markup") or {}).get("inline_keyboard"):
                return message
        return None

    def button(self, label: str) -> tuple[dict[str, Any], str] | None:
        message = self.last_keyboard()
        if message is None:
            return None
        for row in message["reply_markup"]["inline_keyboard"]:
            for button in row:
                if _unnumbered(button["text"]) == label or button["text"] == label:
                    return message, button["callback_data"]
        return None

    def toggles(self, label: str, expected: str | tuple[str, ...] = ()) -> dict[str, Any]:
        """Press the button labelled `label` on a question that changes in place; return the
        edited message (no new message may come)."""
        found = self.button(label)
        assert found is not None, f"no button {label!r}"
        message, data = found
        key = (self.user_id, message["message_id"])
        seen, edits = self._seen(), len(self.fake.calls_of("editMessageText", self.user_id))
        self.fake.push(self.fake.press_update(self.user_id, message, data))
        fragments = (expected,) if isinstance(expected, str) else expected

        def edited() -> dict[str, Any] | None:
            if len(self.fake.calls_of("editMessageText", self.user_id)) <= edits:
                return None
            now = self.fake.messages[key]
            return now if all(f in message_text(now) for f in fragments) else None

        result: dict[str, Any] = self.fake.wait_until(edited)
        assert self._seen() == seen, "a toggle sent a new message"
        return result

    def _seen(self) -> int:
        messages = self.fake.chat_messages(self.user_id)
        return messages[-1]["message_id"] if messages else 0

    def says(self, said: str, expected: str | tuple[str, ...] = ()) -> str:
        """Type `said` — or press the button labelled so ("[label]" must be a button)."""
        must_press = said.startswith("[") and said.endswith("]")
        label = said[1:-1] if must_press else said
        found = self.button(label)
        assert found is not None or not must_press, f"no button {label!r}"
        seen = self._seen()
        pressed_id = None
        if found is not None:
            message, data = found
            pressed_id = message["message_id"]
            self.fake.push(self.fake.press_update(self.user_id, message, data))
        else:
            self.fake.push(
                self.fake.text_update(self.user_id, said, language_code=self.language_code)
            )
        fragments = (expected,) if isinstance(expected, str) else expected

        edits = len(self.fake.calls_of("editMessageText", self.user_id))

        def reply() -> str | None:
            messages = self.fake.chat_messages(self.user_id)
            new = [m for m in messages if m["message_id"] > seen]
            edited = [m for m in messages if m["message_id"] == pressed_id]
            text = "\n".join(message_text(m) for m in edited + new)
            # A press is answered by new messages, or (a toggle) by its question changed in
            # place, keeping its buttons; an answered question loses them before anything new.
            in_place = (
                not new
                and bool(edited)
                and bool(edited[0].get("reply_markup"))
                and len(self.fake.calls_of("editMessageText", self.user_id)) > edits
            )
            if (new or in_place) and all(f in text for f in fragments):
                return text
            return None

        text: str = self.fake.wait_until(reply)
        return text
