"""The `beian` command: thin verbs over rules/ and models/ (documented in the README)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli_applicant import chat, check, deadline, materials, render_documents, route
from bot.cli_common import _output_folder, _settings
from bot.cli_keys import keys_app
from bot.cli_ocr import ocr as ocr_command
from bot.cli_operators import filings_app
from bot.cli_record import filings_record
from bot.cli_reviewers import reviewers_app
from bot.cli_serve import serve
from bot.console.cli import console as console_command
from bot.console.cli import login_link

# Each verb imports what it needs when it runs: `beian --help`, `route`, `check` and
# `deadline` start in a fraction of a second instead of loading WeasyPrint and SQLAlchemy.

app = typer.Typer(
    help="备案助手 beian — 网站安全管理备案 (website security filing) assistant.",
    no_args_is_help=True,
    add_completion=False,
    # Plain help (rich costs half a second to import), and no rich tracebacks: they print
    # local variables, which can hold a token or an applicant's ID number.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True, rich_markup_mode=None)
pack_app = typer.Typer(help="Jurisdiction packs.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")
app.add_typer(pack_app, name="pack")
app.add_typer(reviewers_app, name="reviewers")
app.add_typer(filings_app, name="filings")
app.add_typer(keys_app, name="keys")
# The bureau's desk (issue 28): the web console, its sign-in links, and outcomes from the CLI.
app.command(name="console")(console_command)
reviewers_app.command("login-link")(login_link)
filings_app.command("record")(filings_record)
# Photos of a licence or an ID card, read on this machine (issue 30).
app.command(name="ocr")(ocr_command)
# The applicant's verbs (bot.cli_applicant) and the bot's (bot.cli_serve), in the order of
# `beian --help`.
for verb in (route, deadline, materials, check):
    app.command()(verb)
app.command(name="render")(render_documents)
app.command()(chat)
app.command()(serve)


@app.callback()
def _each_run() -> None:
    # Settings are read afresh by each run (one process may run several: tests, scripts).
    _settings.cache_clear()


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Migrate the database (DATABASE_URL) to the newest schema."""
    from bot.cli_operators import use_keys
    from models import migrate

    use_keys(_settings())
    url = _settings().database_url
    migrate.upgrade(url, revision)
    typer.echo(f"database at {migrate.display_url(url)} is at {revision}")


@pack_app.command("check")
def pack_check(
    name_or_path: Annotated[str | None, typer.Argument(help="Pack name or YAML path.")] = None,
) -> None:
    """Validate a jurisdiction pack; exit 1 with every problem when it is invalid."""
    from rules.pack import PackError, load_pack

    try:
        pack = load_pack(name_or_path or _settings().beian_pack, _settings().beian_pack_dir)
    except PackError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    marker = " (EXAMPLE data — replace before production)" if pack.example else ""
    typer.echo(f"ok: {pack.pack_id} — {pack.city.zh}{marker}")


@app.command()
def remind(
    once: Annotated[
        bool, typer.Option("--once", help="Send what is due now, then exit (for cron).")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be sent; send nothing.")
    ] = False,
    at: Annotated[
        str | None,
        typer.Option("--at", help="With --dry-run: the moment, e.g. 2026-12-20T09:30+08:00."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Reminders: send the due ones once (`--once`), or list them (`--dry-run [--at T]`)."""
    from bot.cli_operators import _context, _engine

    if once == dry_run:
        typer.echo("give --once or --dry-run" + (", not both" if once else ""), err=True)
        raise typer.Exit(2)
    settings, ctx = _context()
    engine = _engine()
    if dry_run:
        _remind_dry_run(settings, ctx, engine, at, as_json)
        return
    _remind_send(settings, engine, as_json)


def _remind_dry_run(settings: Any, ctx: Any, engine: Any, at: str | None, as_json: bool) -> None:
    """List what `remind --once` would send at `at` (default now), sending nothing."""
    from bot.cli_operators import _now
    from bot.reminders import due_now
    from bot.reviewers import reviewers_of
    from bot.wx.reminders import configured

    moment = settings.beian_now or _now()
    if at is not None:
        try:
            moment = dt.datetime.fromisoformat(at)
        except ValueError as exc:
            raise typer.BadParameter("an ISO moment with its offset", param_hint="--at") from exc
        if moment.tzinfo is None:
            raise typer.BadParameter("give the offset, e.g. +08:00", param_hint="--at")
    reviewers = reviewers_of(settings)
    found = due_now(
        engine,
        moment,
        ctx,
        worker=_remind_worker(settings),
        chats_of_reviewers=reviewers.chats(engine),
        supervisor_chat=settings.beian_supervisor_chat,
        channels=("telegram", "wechat") if configured(settings) else ("telegram",),
    )
    lines = [f"#{r['filing']} → {r['to']} ({r['kind']}, {r['due']}): {r['text']}" for r in found]
    typer.echo(json.dumps(found, ensure_ascii=False, indent=2) if as_json else "\n".join(
        lines or ["nothing due"]))  # fmt: skip


def _remind_send(settings: Any, engine: Any, as_json: bool) -> None:
    """Send the due reminders once; print the counts (one line on a refused token or an
    unreachable Bot API, for cron's mail)."""
    import asyncio

    from telegram.error import InvalidToken, TelegramError

    from bot.tg.transport import TOKEN_REFUSED, unreachable

    try:
        counts = asyncio.run(_remind_once(settings, engine))
    except InvalidToken as exc:  # one line for cron's mail: no traceback, no token
        typer.echo(TOKEN_REFUSED, err=True)
        raise typer.Exit(2) from exc
    except TelegramError as exc:  # the Bot API unreachable: nothing was claimed
        typer.echo(unreachable(settings.telegram_api_base_url, exc), err=True)
        raise typer.Exit(1) from exc
    shown = {"sent": counts.sent, "failed": counts.failed, "retried": counts.retried,
             "skipped": counts.skipped}  # fmt: skip
    typer.echo(json.dumps(shown) if as_json else " ".join(f"{k} {v}" for k, v in shown.items()))


def _remind_worker(settings: Any) -> str:
    """The name `remind` leases rows under: BEIAN_INSTANCE, else the host's (stable across
    runs, so a run after a killed one takes that one's rows back at once)."""
    import socket

    return settings.beian_instance or f"{socket.gethostname()}:remind"


async def _remind_once(settings: Any, engine: Any) -> Any:
    from telegram import Bot

    from bot.composition import context_factory
    from bot.reviewers import reviewers_of
    from bot.settings import TokenError, bot_token
    from bot.tg import ui
    from bot.tg.reminders import Pacer, dispatch
    from bot.tg.transport import bot_request
    from bot.wx.reminders import remind_once
    from rules.clock import system_clock
    from rules.pack import load_pack

    pack = load_pack(settings.beian_pack, settings.beian_pack_dir)
    clock = (lambda: frozen) if (frozen := settings.beian_now) else system_clock
    wechat = await remind_once(settings, engine, context=context_factory(settings, pack),
                               clock=clock, worker=_remind_worker(settings))  # fmt: skip
    try:
        token = bot_token(settings)
    except TokenError as exc:
        if wechat is not None:  # a WeChat-only deployment
            return wechat
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    api = settings.telegram_api_base_url.rstrip("/")
    request = bot_request(settings.beian_http_client, 32)  # sends go several at once
    async with Bot(
        token,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=request,
        get_updates_request=request,  # never polls: no second client
    ) as bot:
        counts = await dispatch(
            engine,
            bot,
            context=context_factory(settings, pack),
            clock=clock,
            worker=_remind_worker(settings),
            reviewers=reviewers_of(settings),
            button_key=ui.button_key(token),
            supervisor_chat=settings.beian_supervisor_chat,
            pacer=Pacer(settings.beian_remind_rate or None),
            own=True,
        )
    return wechat.added(counts) if wechat is not None else counts


@app.command()
def diagrams(
    out: Annotated[Path, typer.Option("--out", help="Folder for the pages.")] = Path("docs"),
) -> None:
    """Draw the interview and lifecycle state machines (mermaid) into Markdown pages."""
    from bot.diagrams import write_pages

    _output_folder(out)
    for path in write_pages(out):
        typer.echo(str(path))


def main() -> None:
    """Run the CLI: every file beian creates (database, PDFs, logs) is the user's alone."""
    os.umask(0o077)
    try:
        app()
    except OSError as exc:  # a path or a device no verb foresaw: one line, not a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"beian: {exc.strerror or type(exc).__name__}{where}", file=sys.stderr)
        raise SystemExit(1) from None
    except Exception as exc:
        line = _one_line(exc)
        if line is None:
            raise
        print(f"beian: {line}", file=sys.stderr)
        raise SystemExit(1) from None


def _one_line(exc: Exception) -> str | None:
    """Say in one line what an error no verb foresaw means (None: a bug, left to show)."""
    from models.sealed import sealing_error

    unopened = sealing_error(exc)  # a sealed value that does not open (altered, another key)
    if unopened is not None:
        return str(unopened)
    if isinstance(exc, OverflowError):  # an id past what the database holds
        return "a number is too large (ids are at most 9223372036854775807)"
    import sqlalchemy.exc as sa_exc

    if isinstance(exc, (sa_exc.ArgumentError, sa_exc.NoSuchModuleError)):
        return "DATABASE_URL is not a database URL (sqlite:///FILE or postgresql://…)"
    if isinstance(exc, sa_exc.DBAPIError):  # unreachable, refused, not a database file
        first = str(exc.orig).strip().splitlines() or [type(exc.orig).__name__]
        return f"the database cannot be used: {first[0]}"
    return None
