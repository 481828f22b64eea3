"""The `beian` command: thin verbs over rules/ and models/ (documented in the README)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli_keys import keys_app
from bot.cli_ocr import ocr as ocr_command
from bot.cli_operators import filings_app, reviewers_app
from bot.cli_record import filings_record
from bot.console.cli import console as console_command
from bot.console.cli import login_link
from bot.settings import Settings
from rules.enums import CHECK_NAMES, DocumentKind, Location, PeriodKind, SubjectType
from rules.text import Lang

if TYPE_CHECKING:
    from rules.pack import Pack

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

FieldName = StrEnum("FieldName", {name: name for name in CHECK_NAMES})  # type: ignore[misc]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
LangOpt = Annotated[Lang | None, typer.Option("--lang", help="zh (default) or en.")]


@cache
def _settings() -> Settings:
    """Return the settings, read from the environment once per run of `beian`; a value that
    is not valid is one line per problem (never the value: it may be a secret), exit 2."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]).upper()
            typer.echo(f"{name}: {error['msg']}", err=True)
        raise typer.Exit(2) from exc


@app.callback()
def _each_run() -> None:
    # Settings are read afresh by each run (one process may run several: tests, scripts).
    _settings.cache_clear()


def _lang(lang: Lang | None) -> Lang:
    return lang or _settings().beian_lang


def _today() -> dt.date:
    """Return today in Asia/Shanghai, or the day BEIAN_TODAY freezes."""
    from rules.clock import today_local

    return _settings().beian_today or today_local()


def _pack() -> Pack:
    from rules.pack import PackError, load_pack

    try:
        return load_pack(_settings().beian_pack, _settings().beian_pack_dir)
    except PackError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


def _output_folder(out: Path, option: str = "--out") -> None:
    """Create `out` for the files a verb writes, or stop with one line (exit 1)."""
    from bot.files import OutputFolderError, prepare_folder

    try:
        prepare_folder(out)
    except OutputFolderError as exc:
        typer.echo(f"{option}: cannot write to {exc}", err=True)
        raise typer.Exit(1) from exc


def _out(as_json: bool, payload: Any, lines: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(lines))


@app.command()
def route(
    subject: Annotated[SubjectType, typer.Option(help="Who runs the site.")],
    maintenance: Annotated[Location, typer.Option(help="Where system maintenance is.")],
    server: Annotated[Location, typer.Option(help="Where the server is hosted.")],
    maintenance_city: Annotated[str | None, typer.Option(help="City of maintenance.")] = None,
    server_city: Annotated[str | None, typer.Option(help="City of the server.")] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Say which bureau(s) to file with, and in which order."""
    from bot import present
    from rules.materials import SUBJECT_LABELS
    from rules.routing import route_filing

    language = _lang(lang)
    verdict = route_filing(maintenance, server, _pack(), maintenance_city, server_city)
    lines = [f"{SUBJECT_LABELS[subject].get(language)}", *present.route_lines(verdict, language)]
    _out(as_json, present.route_json(verdict, language), lines)


@app.command()
def deadline(
    kind: Annotated[PeriodKind, typer.Argument(help="Which clock.")],
    start: Annotated[str, typer.Option("--from", help="Start date, e.g. 2026-11-28.")],
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Compute a deadline on the Chinese working-day calendar."""
    from bot import present
    from rules.dates import check_date
    from rules.deadlines import compute_deadline
    from rules.workdays import WorkdayCalendar

    language = _lang(lang)
    parsed = check_date(start, _today())
    if not parsed.valid or parsed.normalized is None:
        message = parsed.error.get(language) if parsed.error else start
        raise typer.BadParameter(message, param_hint="--from")
    pack = _pack()
    result = compute_deadline(
        kind, dt.date.fromisoformat(parsed.normalized), pack, WorkdayCalendar(pack.calendar)
    )
    _out(as_json, present.deadline_json(result, language), present.deadline_lines(result, language))


@app.command()
def materials(
    subject: Annotated[SubjectType, typer.Option(help="Who runs the site.")],
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List what to bring to re-review."""
    from bot import present
    from rules.materials import SUBJECT_LABELS, materials_for

    language = _lang(lang)
    items = materials_for(subject, _pack())
    lines = [SUBJECT_LABELS[subject].get(language)]
    lines += [present.material_line(i, m, language) for i, m in enumerate(items, 1)]
    _out(as_json, [present.material_json(m, language) for m in items], lines)


@app.command()
def check(
    field: Annotated[FieldName, typer.Argument(help="Which field.")],
    value: Annotated[str, typer.Argument(help="What the applicant typed.")],
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Check one field; exit 0 when valid, 1 when not."""
    from bot import present
    from rules.fields import check_field

    language = _lang(lang)
    result = check_field(str(field.value), value, _today())
    if result.valid:
        line = f"✓ {result.normalized}"
    else:
        line = f"✗ {result.error.get(language) if result.error else ''}"
    _out(as_json, present.check_json(result, language), [line])
    if not result.valid:
        raise typer.Exit(1)


@app.command(name="render")
def render_documents(
    answers_file: Annotated[Path, typer.Option("--answers", help="Answers as JSON or YAML.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the documents into.")],
    kind: Annotated[
        list[DocumentKind] | None, typer.Option("--kind", help="Only these (repeatable).")
    ] = None,
    change_file: Annotated[
        Path | None, typer.Option("--change", help="Change report (JSON/YAML) for change-report.")
    ] = None,
    formats: Annotated[
        str,
        typer.Option(
            "--format",
            help="pdf, docx or pdf,docx: Word copies of the filing form, the notice and the "
            "checklist.",
        ),
    ] = "pdf",
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Render the applicant's documents as PDF files (and editable Word copies)."""
    from bot.documents_io import (
        load_render_inputs,
        no_word_copy,
        read_formats,
        report,
        write_documents,
    )
    from documents.model import RENDERED_BY_DEFAULT, DocumentContext
    from rules.workdays import WorkdayCalendar

    language = _lang(lang)
    chosen = read_formats(formats)
    if chosen is None:
        raise typer.BadParameter(f"{formats!r}: pdf, docx or pdf,docx", param_hint="--format")
    pack = _pack()
    problems, answers, change = load_render_inputs(answers_file, change_file, language)
    if problems or answers is None:
        typer.echo("\n".join(problems), err=True)
        raise typer.Exit(1)
    _output_folder(out)
    ctx = DocumentContext(
        pack=pack,
        today=_today(),
        calendar=WorkdayCalendar(pack.calendar),
        change=change,
        lang=language,
    )
    try:
        written = write_documents(kind or list(RENDERED_BY_DEFAULT), answers, ctx, out, chosen)
    except OSError as exc:  # the folder was fine a moment ago: full, or taken away
        typer.echo(f"--out: cannot write to {out}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from exc
    lines, warnings = report(written, language)
    for note in [*no_word_copy(kind or [], chosen, language), *warnings]:
        typer.echo(note, err=True)
    keys = ("kind", "path", "pages", "bytes", "format")
    _out(as_json, [{k: d[k] for k in keys} for d in written], lines)


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
def chat(
    lang: LangOpt = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the PDFs.")] = Path("out"),
    as_name: Annotated[
        str | None, typer.Option("--as", help="Who is chatting (keeps their interview apart).")
    ] = None,
    word: Annotated[
        bool, typer.Option("--word", help="Also write editable Word copies (.docx) of the forms.")
    ] = False,
) -> None:
    """Run the interview in this terminal (one answer per line; piped input works)."""
    from bot.composition import chat_main
    from bot.files import folder_problem

    problem = folder_problem(out)  # said now, not after the whole interview
    if problem is not None:
        typer.echo(f"--out: cannot write to {problem}", err=True)
        raise typer.Exit(1)
    _pack()  # a pack that cannot be read: one line, exit 2

    raise typer.Exit(chat_main(_settings(), lang=lang, out=out, as_name=as_name, word=word))


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


@app.command()
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
    from bot.settings import TokenError, bot_token

    channels = {c.strip().lower() for c in channel.split(",") if c.strip()}
    if channels == {"wechat"}:
        _serve_wechat(listen)
        return
    if not channels or not channels <= {"telegram", "wechat"}:
        raise typer.BadParameter("use telegram, wechat or telegram,wechat", param_hint="--channel")
    wechat = _wechat_config(wechat_listen) if "wechat" in channels else None

    with _no_passport_crypto():
        from bot.tg.app import Webhook
        from bot.tg.app import serve as run

    settings = _settings()
    try:
        token = bot_token(settings)
    except TokenError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    _pack()  # a pack that cannot be read: one line, exit 2, before anything is contacted
    webhook = None
    if webhook_url is not None:
        if not secret_token:
            typer.echo("--secret-token is required with --webhook-url.", err=True)
            raise typer.Exit(2)
        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit():
            raise typer.BadParameter("use HOST:PORT, e.g. 0.0.0.0:8443", param_hint="--listen")
        webhook = Webhook(webhook_url, host, int(port), secret_token)
        try:
            settings.metrics_address()
        except ValueError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from exc
    setup_logging()  # stderr, masked: the service manager keeps it
    if wechat is not None:
        from bot.tg.app import run as run_telegram
        from bot.wx.app import serve_both

        config, at = wechat
        raise typer.Exit(
            serve_both(
                settings,
                config,
                at,
                lambda stop: run_telegram(settings, token, webhook, console, stop=stop),
            )
        )
    raise typer.Exit(run(settings, token, webhook, console))


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
    import asyncio

    from bot.cli_operators import _context, _engine, _now

    if once == dry_run:
        typer.echo("give --once or --dry-run", err=True)
        raise typer.Exit(2)
    settings, ctx = _context()
    engine = _engine()
    if dry_run:
        from bot.reminders import due_now
        from bot.reviewers import reviewers_of
        from bot.wx.reminders import configured

        moment = settings.beian_now or _now()
        if at is not None:
            try:
                moment = dt.datetime.fromisoformat(at)
            except ValueError as exc:
                raise typer.BadParameter(
                    "an ISO moment with its offset", param_hint="--at"
                ) from exc
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
        lines = [
            f"#{r['filing']} → {r['to']} ({r['kind']}, {r['due']}): {r['text']}" for r in found
        ]
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2) if as_json else "\n".join(
            lines or ["nothing due"]))  # fmt: skip
        return
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
    except Exception as exc:  # a sealed value that does not open (altered, or another key)
        from models.sealed import sealing_error

        unopened = sealing_error(exc)
        if unopened is None:
            raise
        print(f"beian: {unopened}", file=sys.stderr)
        raise SystemExit(1) from None
