"""Settings from the environment (and an optional .env file): the one place configuration enters."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from bot.ocr.worker import OcrWorker

DEFAULT_DATABASE_URL = "sqlite:///data/beian.db"


class Settings(BaseSettings):
    """beian's configuration; environment variable names are the field names in capitals."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    beian_pack: str = "example"
    # A folder of packs: BEIAN_PACK is looked up there first, and the other cities' packs in
    # it name (and date) the second bureau of a two-city route.
    beian_pack_dir: Path | None = None
    beian_lang: Literal["zh", "en"] = "zh"
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    # Freeze "today" (Asia/Shanghai) for demos and scripted conversations; unset in production.
    beian_today: dt.date | None = None
    # Freeze the clock of `beian remind` (an ISO moment with its offset): scripts and tests.
    beian_now: dt.datetime | None = None
    # This instance's name in chat claims and outbox leases (default: host name and port).
    beian_instance: str | None = None
    # Reviewers: Telegram user ids (comma-separated) besides those `beian reviewers add` keeps,
    # and the chat their cards go to (a group or a private chat; unset: each reviewer).
    beian_reviewers: str = ""
    beian_review_chat: int | None = None
    # Reminders: the chat overdue reviews are escalated to (unset: none), the dispatcher's pace
    # (messages/s overall; 0: no pacing) and how often `beian serve` looks for due ones (s).
    beian_supervisor_chat: int | None = None
    beian_remind_rate: float = Field(default=25.0, ge=0)
    beian_remind_every: float = Field(default=60.0, gt=0)
    # The bot's pace (messages/s over the whole bot: Telegram's limit is 30, less the network's
    # jitter, which bunches messages up on the way: measured at the server, 28/s gave up to
    # 33 in one second) and where it is
    # kept: "shared" in the database, one pace for every instance on the same token; "local"
    # in this process; "auto" shares it on PostgreSQL (where several instances run); "off"
    # sends unpaced (benchmarks, or a Bot API server of your own that does not limit).
    beian_send_rate: float = Field(default=25.0, gt=0)
    beian_rate_limit: Literal["auto", "local", "shared", "off"] = "auto"
    # Where the hot path's statements run: "on" the event loop's own connection (no thread
    # hop; a statement that would wait goes to a thread), "off" always in worker threads
    # (waits for the database overlap across chats), "auto": see DESIGN.md (issue 16).
    beian_db_inline: Literal["auto", "on", "off"] = "auto"
    # The HTTP client of the bot's Bot API calls: "aiohttp" (ours, `bot.tg.transport`: ~3.5×
    # the calls per second of httpx) or "httpx" (PTB's own).
    beian_http_client: Literal["aiohttp", "httpx"] = "aiohttp"
    # Webhook mode: where /healthz and /metrics are served (HOST:PORT, or "off"), apart from
    # the public webhook listener; how long a client may take to send a request's headers,
    # and again its body (s); how many connections each listener keeps open at once.
    beian_metrics_listen: str = "127.0.0.1:9464"
    beian_webhook_timeout: float = Field(default=10.0, gt=0)
    beian_webhook_connections: int = Field(default=128, ge=1)
    # The bot's @username, for the t.me links `beian reviewers invite` prints.
    beian_bot_username: str | None = None
    # Where the bureau's desk (`beian console`) is reached, e.g. https://desk.example.cn: the
    # sign-in links point there, and its cookies are Secure when it is HTTPS.
    beian_console_url: str | None = None
    # The WeChat Official Account (服务号, developer mode; `beian serve --channel wechat`): the
    # token and EncodingAESKey entered in its server settings (the AES key: safe mode), its
    # AppID and AppSecret, the API's address (a stand-in in tests), the public URL its server
    # settings name (the documents' download links start there), and the template of the
    # reminders sent once the 48-hour customer-service window has closed: a subscription
    # message's template (订阅通知) and its keys for the site, what and by when, else a template
    # message's (unset: none).
    wechat_token: SecretStr | None = None
    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_aes_key: SecretStr | None = None
    wechat_api_base_url: str = "https://api.weixin.qq.com"
    wechat_public_url: str | None = None
    wechat_reminder_template: str | None = None
    wechat_subscribe_template: str | None = None
    wechat_subscribe_fields: str = "thing1,thing2,time3"
    # Where logs (and, by default, the SQLite database and the key file) live.
    beian_data_dir: Path | None = None
    # The data key that seals personal data in the database (issue 26; README "The data
    # key"): 32 bytes in URL-safe base64 (`beian keys generate`), or several separated by
    # commas, the first sealing and the others only opening (a rotation). Unset: the key file.
    beian_data_key: SecretStr | None = None
    # The key file used when BEIAN_DATA_KEY is unset, created (0600) at the first start
    # (default: beian.key in the data folder).
    beian_key_file: Path | None = None
    # Photos of the licence and ID cards read on this machine (issue 30): "auto" where the
    # recogniser is installed, "off" never; the worker ends after this many idle seconds, and
    # a photo not read within the time-out (s) is refused (the worker is ended).
    beian_ocr: Literal["auto", "off"] = "auto"
    beian_ocr_idle: float = Field(default=300.0, gt=0)
    beian_ocr_timeout: float = Field(default=10.0, gt=0)

    def ocr_worker(self) -> OcrWorker | None:
        """Return a photo reader (its process starts on first use), or None: photos unread."""
        from bot.ocr.worker import OcrWorker, available

        if self.beian_ocr == "off" or not available():
            return None
        return OcrWorker(idle=self.beian_ocr_idle, timeout=self.beian_ocr_timeout)

    @field_validator("beian_bot_username")
    @classmethod
    def _a_bots_username(cls, value: str | None) -> str | None:
        """A bot's @username (5–32 letters, digits or _, ending in "bot"), with or without @:
        anything else printed t.me links that open nothing."""
        if value is None or not value.strip():
            return None
        name = value.strip().removeprefix("@")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{4,31}", name) or not name.lower().endswith(
            "bot"
        ):
            raise ValueError(
                f"{name[:40]!r} is not a bot's username (letters, digits, _; ends in bot)"
            )
        return name

    @field_validator("beian_console_url")
    @classmethod
    def _a_web_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        problem = web_address_problem(value.strip())
        if problem is not None:
            raise ValueError(problem)
        return value.strip()

    @field_validator("beian_reviewers")
    @classmethod
    def _reviewers_are_ids(cls, value: str) -> str:
        """Refuse an entry that is no id: ignored, it left the bureau without reviewer cards."""
        parts = (part.strip() for part in value.replace("，", ",").split(","))
        wrong = [p for p in parts if p and not p.lstrip("-").isdigit()]
        if wrong:
            raise ValueError(
                f"{wrong[0][:40]!r} is not a Telegram user id (numbers, comma-separated)"
            )
        return value

    def reviewer_ids(self) -> list[int]:
        """Return BEIAN_REVIEWERS as ids (checked when the settings are read)."""
        parts = self.beian_reviewers.replace("，", ",").split(",")
        return [int(p) for p in (part.strip() for part in parts) if p.lstrip("-").isdigit()]

    def metrics_address(self) -> tuple[str, int] | None:
        """Return BEIAN_METRICS_LISTEN as (host, port), None when "off"; ValueError when it is
        neither HOST:PORT nor off ([::1]:9464 for IPv6)."""
        value = self.beian_metrics_listen.strip()
        if value.lower() in {"off", "none", ""}:
            return None
        host, _, port = value.rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        if not host or not port.isdigit() or int(port) > 65535:
            raise ValueError(f"BEIAN_METRICS_LISTEN: use HOST:PORT or off, not {value!r}")
        return host, int(port)

    def data_dir(self) -> Path:
        """Return the data folder: BEIAN_DATA_DIR, else the SQLite database's folder, else data/."""
        from sqlalchemy.engine import make_url

        if self.beian_data_dir is not None:
            return self.beian_data_dir
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Path(url.database).parent
        return Path("data")

    def key_file(self) -> Path:
        """Return the key file's path: BEIAN_KEY_FILE, else beian.key in the data folder."""
        return self.beian_key_file or self.data_dir() / "beian.key"


# Values people leave in .env files; the last one is BotFather's documentation example.
_PLACEHOLDERS = {"", "changeme", "token", "<token>", "your-token", "your_token_here", "xxx"}
_EXAMPLE_TOKEN = "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # noqa: S105 - refused, not used
_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")


class TokenError(ValueError):
    """TELEGRAM_BOT_TOKEN is missing or a placeholder."""


def bot_token(settings: Settings) -> str:
    """Return the bot token, refusing a missing or placeholder value."""
    if settings.telegram_bot_token is None:
        raise TokenError("TELEGRAM_BOT_TOKEN is not set: get one from @BotFather (see README).")
    token = settings.telegram_bot_token.get_secret_value().strip()
    lowered = token.lower()
    if (
        lowered in _PLACEHOLDERS
        or token == _EXAMPLE_TOKEN
        or any(word in lowered for word in ("example", "placeholder", "your"))
        or not _TOKEN_SHAPE.fullmatch(token)
    ):
        raise TokenError(
            "TELEGRAM_BOT_TOKEN looks like a placeholder, not a token from @BotFather "
            "(expected digits, a colon, and at least 30 letters, digits, - or _)."
        )
    return token


def web_address_problem(value: str) -> str | None:
    """Say why `value` is not a web address (http or https, with a host); None when it is."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{value[:60]!r} is not a web address (http:// or https:// and a host)"
    return None
