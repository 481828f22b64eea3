"""`beian serve`: the Telegram bot (long polling or a webhook), the WeChat Official Account's
callback server, or both in one process. Registered on the `beian` app in `bot.cli`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from bot.cli_common import _pack, _settings


@contextmanager
def _no_passport_crypto() -> Iterator[None]:
    """Import PTB without `cryptography`, which it loads for Telegram Passport whenever it is
    installed. beian reads no Passport data, and the bot's process would keep PTB's Passport
    modules for nothing (issue 16). beian's own sealing (issue 26) imports AES-GCM alone, when
    the keyring is made, after this."""
    if "telegram" in sys.modules or "cryptography" in sys.modules:
        yield
        return
    sys.modules["cryptography"] = None  # type: ignore[assignment]  # its import fails
    try:
        yield
    finally:
        del sys.modules["cryptography"]  # anything later may import it as usual


def serve(
    webhook_url: Annotated[
        str | None, typer.Option("--webhook-url", help="Public HTTPS URL Telegram posts to.")
    ] = None,
    listen: Annotated[
        str, typer.Option("--listen", help="HOST:PORT the webhook server binds.")
    ] = "0.0.0.0:8443",
    secret_token: Annotated[
        str | None,
        typer.Option("--secret-token", help="Checked on every webhook request (required)."),
    ] = None,
    console: Annotated[
        str | None, typer.Option("--console", help="HOST:PORT: serve the bureau's desk too.")
    ] = None,
    channel: Annotated[
        str,
        typer.Option(
            "--channel",
            help="telegram, wechat (the Official Account's callback on --listen at /wechat), "
            "or telegram,wechat (one process; WeChat on --wechat-listen).",
        ),
    ] = "telegram",
    wechat_listen: Annotated[
        str,
        typer.Option(
            "--wechat-listen", help="HOST:PORT of WeChat's callback with telegram,wechat."
        ),
    ] = "0.0.0.0:8080",
) -> None:
    """Run the Telegram bot (long polling, or a webhook server with --webhook-url), or the
    WeChat Official Account's callback server (--channel wechat)."""
    from bot.logs import setup_logging

    channels = _channels(channel)
    if channels == {"wechat"}:
        _serve_wechat(listen)
        return
    wechat = _wechat_config(wechat_listen) if "wechat" in channels else None

    with _no_passport_crypto():
        from bot.tg.serving import serve as run

    settings = _settings()
    token = _token(settings)
    _pack()  # a pack that cannot be read: one line, exit 2, before anything is contacted
    webhook = None if webhook_url is None else _webhook(settings, webhook_url, listen, secret_token)
    setup_logging()  # stderr, masked: the service manager keeps it
    if wechat is not None:
        raise typer.Exit(_serve_both(settings, token, webhook, console, wechat))
    raise typer.Exit(run(settings, token, webhook, console))


def _channels(channel: str) -> set[str]:
    """Read --channel: telegram, wechat or both (anything else: a usage error, exit 2)."""
    channels = {c.strip().lower() for c in channel.split(",") if c.strip()}
    if not channels or not channels <= {"telegram", "wechat"}:
        raise typer.BadParameter("use telegram, wechat or telegram,wechat", param_hint="--channel")
    return channels


def _token(settings: Any) -> str:
    """The bot's token (TELEGRAM_BOT_TOKEN or its file), or one line and exit 2."""
    from bot.settings import TokenError, bot_token

    try:
        return bot_token(settings)
    except TokenError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


def _webhook(settings: Any, url: str, listen: str, secret_token: str | None) -> Any:
    """Webhook mode's address and secret, checked with BEIAN_METRICS_LISTEN (one line, exit 2,
    when one is wrong)."""
    from bot.tg.serving import Webhook

    if not secret_token:
        typer.echo("--secret-token is required with --webhook-url.", err=True)
        raise typer.Exit(2)
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise typer.BadParameter("use HOST:PORT, e.g. 0.0.0.0:8443", param_hint="--listen")
    webhook = Webhook(url, host, int(port), secret_token)
    try:
        settings.metrics_address()
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    return webhook


def _serve_both(
    settings: Any, token: str, webhook: Any, console: str | None, wechat: tuple[Any, Any]
) -> int:
    """`--channel telegram,wechat`: both channels in one process and loop; the exit code."""
    from bot.tg.serving import run as run_telegram
    from bot.wx.app import serve_both

    config, at = wechat
    return serve_both(
        settings,
        config,
        at,
        lambda stop: run_telegram(settings, token, webhook, console, stop=stop),
    )


def _wechat_config(listen: str, option: str = "--wechat-listen") -> tuple[Any, tuple[str, int]]:
    """Check the WECHAT_* settings and the callback's HOST:PORT (exit 2, one line, if wrong)."""
    from bot.wx.app import SettingsError, wechat_config

    host, _, port = listen.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or int(port) > 65535:
        raise typer.BadParameter("use HOST:PORT, e.g. 0.0.0.0:8080", param_hint=option)
    try:
        return wechat_config(_settings(), (host, int(port))), (host, int(port))
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


def _serve_wechat(listen: str) -> None:
    """`beian serve --channel wechat`: check the WECHAT_* settings, then serve."""
    from bot.logs import setup_logging
    from bot.wx.app import serve as run

    config, (host, port) = _wechat_config(listen, "--listen")
    _pack()
    setup_logging()
    raise typer.Exit(run(_settings(), config, host, port))
