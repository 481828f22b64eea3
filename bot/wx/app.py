"""The WeChat composition root: settings → the channel, its callback server, its run.

`beian serve --channel wechat --listen HOST:PORT`: WeChat posts to /wechat on that
listener. What a crash left in the inbox is swept up first; the menu (自定义菜单) is set at
start-up. Telegram may run in another process on the same database (or in this one, with
`--channel telegram,wechat`): the inbox keeps each channel's rows apart.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from bot.composition import context_factory
from bot.conversation import Conversations
from bot.deliveries import RenderSet
from bot.reviewers import reviewers_of
from bot.settings import Settings
from bot.wx import protocol, texts
from bot.wx.api import Client, WeChatApi
from bot.wx.channel import WeChatChannel
from bot.wx.links import Links
from bot.wx.outbound import Outbound
from bot.wx.reminders import DEFAULT_FIELDS, subscribe_fields
from bot.wx.server import PATH, CallbackServer
from dialogs.engine import begin, handle
from dialogs.model import Context, Input
from documents.pool import DocumentRenderer
from models import migrate
from models.database import Database
from rules.clock import system_clock
from rules.pack import load_pack
from rules.text import Lang

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SettingsError(ValueError):
    """A WeChat setting is missing or cannot be used (the message names it, never its value)."""


@dataclass(frozen=True)
class WeChatConfig:
    """The checked WeChat settings."""

    keys: protocol.Keys
    secret: str
    api_base: str
    public_url: str
    reminder_template: str | None
    subscribe_template: str | None = None
    subscribe_fields: tuple[str, ...] = DEFAULT_FIELDS


def wechat_config(settings: Settings, listen: tuple[str, int]) -> WeChatConfig:
    """Check the WECHAT_* settings; SettingsError names what is wrong."""
    token = settings.wechat_token.get_secret_value().strip() if settings.wechat_token else ""
    if not token or not 3 <= len(token) <= 32 or not token.isalnum():
        raise SettingsError(
            "WECHAT_TOKEN must be the Token of the account's server settings "
            "(3-32 letters or digits)."
        )
    if not settings.wechat_app_id:
        raise SettingsError("WECHAT_APP_ID is not set (the account's AppID).")
    secret = settings.wechat_app_secret
    if secret is None or not secret.get_secret_value().strip():
        raise SettingsError("WECHAT_APP_SECRET is not set (the account's AppSecret).")
    aes = settings.wechat_aes_key.get_secret_value().strip() if settings.wechat_aes_key else None
    if aes is not None and len(aes) != 43:
        raise SettingsError("WECHAT_AES_KEY must be the 43-character EncodingAESKey.")
    public = settings.wechat_public_url or f"http://{listen[0]}:{listen[1]}{PATH}"
    return WeChatConfig(
        protocol.Keys(token, settings.wechat_app_id, aes or None),
        secret.get_secret_value().strip(),
        settings.wechat_api_base_url,
        public.rstrip("/").removesuffix(PATH),
        settings.wechat_reminder_template,
        settings.wechat_subscribe_template,
        subscribe_fields(settings.wechat_subscribe_fields),
    )


def menu(lang: Lang = "zh") -> dict[str, Any]:
    """Return the account's custom menu (WeChat allows 3 first-level items): 进度, 文件, and
    更多 holding 变更 and 帮助 — click items the channel reads as commands."""
    labels = texts.MENU_LABELS

    def item(key: str) -> dict[str, Any]:
        return {"type": "click", "name": labels[key].get(lang), "key": key}

    more = {"name": labels["more"].get(lang), "sub_button": [item("change"), item("help")]}
    return {"button": [item("status"), item("documents"), more]}


def english_menu() -> dict[str, Any]:
    """Return the personalised menu (个性化菜单) for WeChat clients set to English: the same
    items in English (an account has one menu; WeChat picks this one by the client's
    language)."""
    return {**menu("en"), "matchrule": {"language": "en"}}


async def set_menus(api: WeChatApi) -> None:
    """Set the account's menus: the Chinese one and the English one (what an earlier start
    set is deleted first, so personalised menus do not pile up); a refusal is logged."""
    await api.delete_menus()
    made = await api.create_menu(menu())
    if not made.ok:
        log.warning("wechat: the menu was not set (error %s: %s)", made.errcode, made.errmsg)
        return
    english = await api.add_conditional_menu(english_menu())
    if not english.ok:
        log.warning("wechat: the English menu was not set (error %s: %s); the English "
                    "commands can still be typed", english.errcode, english.errmsg)  # fmt: skip


# Answers that take a throwaway interview through the questions' first loads (the spec, the
# routing, the calendar): run once at start-up, so the first callbacks do not wait for them.
WARM_UP = ("企业", "本市", "外地", "杭州", "2026-11-20", "示例云帆科技有限公司")


def warm_interview(ctx: Context) -> None:
    """Take a throwaway interview (pure: nothing stored) through its first questions."""
    step = begin(ctx)
    for said in WARM_UP:
        step = handle(step.state, Input.typed(said), ctx)


def build_channel(
    settings: Settings,
    config: WeChatConfig,
    db: Database,
    render_set: RenderSet,
    holder: str,
    clock: Callable[[], Any] = system_clock,
) -> WeChatChannel:
    """Build the channel from checked settings."""
    client = Client(config.keys.app_id, config.secret, config.api_base)
    return WeChatChannel(
        db=db,
        api=WeChatApi(client),
        context=context_factory(
            settings, load_pack(settings.beian_pack, settings.beian_pack_dir), clock=clock
        ),
        clock=clock,
        conversations=Conversations(db),
        render_set=render_set,
        links=Links.from_secret(config.secret, config.public_url),
        holder=holder,
        bot_id=protocol.account_number(config.keys.app_id),
        reviewers=reviewers_of(settings),
        lang=settings.beian_lang,
    )


async def run(
    settings: Settings,
    config: WeChatConfig,
    host: str,
    port: int,
    stop: asyncio.Event | None = None,
) -> int:
    """Serve the WeChat channel until SIGINT/SIGTERM (or `stop`); return the exit code."""
    inline = {"on": True, "off": False}.get(settings.beian_db_inline)
    db = Database(settings.database_url, inline=inline)
    renderer = DocumentRenderer()
    holder = settings.beian_instance or f"{socket.gethostname()}:wechat:{port}"
    channel = build_channel(settings, config, db, renderer.render_blocking, holder)
    own_stop = stop is None
    stop = stop or asyncio.Event()
    if own_stop:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, stop.set)
    await asyncio.to_thread(warm_interview, replace(channel.context(), buttons=False))
    server = CallbackServer(channel, config.keys, host, port, settings.beian_webhook_timeout)
    try:
        await server.start()
    except OSError as exc:
        log.error("wechat: cannot listen on %s:%s (%s)", host, port, exc.strerror)
        renderer.close()
        db.close()
        return 1
    await set_menus(channel.api)
    outbound = Outbound(
        channel, config.reminder_template, config.subscribe_template, config.subscribe_fields
    )
    channel.notify = outbound.send_notices  # a change's deadline, right after its documents
    # What a crash left goes first: its deliveries (claimed before any message is taken),
    # then its inbox rows; notices and reminders follow on their own pace.
    await outbound.resume_deliveries(recovering=True)
    await channel.sweep()
    sweeper = asyncio.create_task(channel.sweep_forever())
    listening = asyncio.create_task(channel.listen_forever())  # PostgreSQL: wake-ups
    sending = asyncio.create_task(outbound.forever(remind_every=settings.beian_remind_every))
    log.info("wechat callback on %s:%s%s as %s", host, server.bound_port, PATH, holder)
    try:
        await stop.wait()
    finally:
        await server.stop()
        await channel.drain()
        for task in (sweeper, listening, sending):
            task.cancel()
        await asyncio.gather(sweeper, listening, sending, return_exceptions=True)
        await db.settle()
        renderer.close()
        db.close()
    return 0


def _keys(settings: Settings) -> Any:
    """Load the data key (before anything sealed is read or written); None: refused, said."""
    from bot.keys import KeySetupError, use
    from bot.logs import mask

    try:
        return use(settings)
    except KeySetupError as exc:
        log.error(mask(str(exc)))
        print(mask(str(exc)), file=sys.stderr)
        return None


def serve(settings: Settings, config: WeChatConfig, host: str, port: int) -> int:
    """Load the data key, migrate the database, then serve the WeChat channel; return the exit
    code."""
    keyring = _keys(settings)
    if keyring is None:
        return 1
    migrate.upgrade_apart(settings.database_url, keyring)
    return asyncio.run(run(settings, config, host, port))


def serve_both(
    settings: Settings,
    config: WeChatConfig,
    wechat_at: tuple[str, int],
    telegram: Callable[[asyncio.Event], Awaitable[int]],
) -> int:
    """Migrate, then serve WeChat and Telegram (`telegram(stop)`: its run) in one process on
    one loop until SIGINT/SIGTERM; return the first non-zero exit code (either one's failure
    stops the other)."""
    keyring = _keys(settings)
    if keyring is None:
        return 1
    migrate.upgrade_apart(settings.database_url, keyring)

    async def both() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, stop.set)

        async def stopping_the_other(work: Awaitable[int]) -> int:
            try:
                return await work
            finally:
                stop.set()

        codes = await asyncio.gather(
            stopping_the_other(run(settings, config, *wechat_at, stop=stop)),
            stopping_the_other(telegram(stop)),
        )
        return next((code for code in codes if code), 0)

    return asyncio.run(both())
