"""`beian console` (the desk's web server) and `beian reviewers login-link` (a sign-in link)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from rules.text import Lang

if TYPE_CHECKING:
    from bot.console.app import Desk, Notify
    from bot.settings import Settings

DEFAULT_LISTEN = "127.0.0.1:8080"


def public_url(settings: Settings, listen: str = DEFAULT_LISTEN) -> str:
    """Return where the desk is reached: BEIAN_CONSOLE_URL, else the address it listens on."""
    if settings.beian_console_url:
        return settings.beian_console_url.rstrip("/")
    host, _, port = listen.rpartition(":")
    return f"http://{host}:{port}"


def link_for(base: str, token: str) -> str:
    """Return the sign-in link of `token` under the desk's public URL."""
    return f"{base.rstrip('/')}/console/login/{token}"


def make_desk(settings: Settings, engine: Any, notify: Notify | None = None) -> Desk:
    """Build the desk from settings (the bot's own context factory and reviewers)."""
    from bot.composition import context_factory
    from bot.console.app import Desk
    from bot.reviewers import reviewers_of
    from rules.clock import system_clock
    from rules.pack import load_pack

    pack = load_pack(settings.beian_pack, settings.beian_pack_dir)
    return Desk(
        engine=engine,
        context=context_factory(settings, pack),
        clock=system_clock,
        reviewers=reviewers_of(settings),
        public_url=settings.beian_console_url,
        notify=notify,
    )


def console(
    listen: Annotated[
        str, typer.Option("--listen", help="HOST:PORT the desk listens on.")
    ] = DEFAULT_LISTEN,
) -> None:
    """Run the bureau's desk: a web console for reviewers (sign in with a one-time link)."""
    import asyncio
    import signal

    from bot.cli_common import _settings
    from bot.cli_operators import _engine
    from bot.console.app import run_console
    from bot.logs import setup_logging

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise typer.BadParameter("use HOST:PORT, e.g. 127.0.0.1:8080", param_hint="--listen")
    settings = _settings()
    desk = make_desk(settings, _engine())
    setup_logging()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_console(desk, host, int(port), stop)

    typer.echo(f"desk: {public_url(settings, listen)}/console (Ctrl-C stops)", err=True)
    asyncio.run(main())


def login_link(
    user_id: Annotated[int, typer.Argument(help="The reviewer's Telegram user id.")],
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Where the desk is reached (default: "
            "BEIAN_CONSOLE_URL, else http://127.0.0.1:8080).",
        ),
    ] = None,
    lang: Annotated[Lang | None, typer.Option("--lang", help="zh (default) or en.")] = None,
) -> None:
    """Print a one-time sign-in link to the desk for a registered reviewer (valid 15 minutes)."""
    from bot.cli_common import _lang, _settings
    from bot.cli_operators import _engine, _now
    from bot.console.auth import create_link_token
    from bot.settings import web_address_problem

    settings = _settings()
    problem = web_address_problem(base_url) if base_url else None
    if problem is not None:  # said before a token is made
        raise typer.BadParameter(problem, param_hint="--base-url")
    zh = _lang(lang) == "zh"
    token = create_link_token(_engine(), user_id, _now())
    if token is None:
        typer.echo(f"{user_id} 不是已登记的审核员（beian reviewers add）" if zh
                   else f"{user_id} is not a registered reviewer (beian reviewers add)",
                   err=True)  # fmt: skip
        raise typer.Exit(1)
    base = base_url or public_url(settings)
    typer.echo("15分钟内有效，只能用一次：" if zh else "valid for 15 minutes, once:")
    typer.echo(link_for(base, token))
