"""Operators' commands: `beian reviewers …` and `beian filings …` (issue 12).

Each opens the database of DATABASE_URL (migrated first), does one thing in one transaction,
and prints text or, with `--json`, the documented JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

reviewers_app = typer.Typer(help="Bureau reviewers.", no_args_is_help=True, rich_markup_mode=None)
filings_app = typer.Typer(help="Filings.", no_args_is_help=True, rich_markup_mode=None)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _engine() -> Any:
    from bot.cli import _settings
    from models import migrate
    from models.db import make_engine

    url = _settings().database_url
    migrate.upgrade(url)
    return make_engine(url)


def _now() -> Any:
    from rules.clock import system_clock

    return system_clock()


def _print(as_json: bool, payload: Any, lines: list[str]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2) if as_json else "\n".join(lines))


@reviewers_app.command("add")
def reviewers_add(
    telegram_id: Annotated[int, typer.Argument(help="The reviewer's Telegram user id.")],
    name: Annotated[str, typer.Option("--name", help="The reviewer's name.")],
) -> None:
    """Register a reviewer of this city's bureau."""
    from models.db import session_scope
    from models.filings import add_reviewer

    with session_scope(_engine()) as session:
        add_reviewer(session, telegram_id, name.strip()[:100], _now())
    typer.echo(f"reviewer {telegram_id} ({name}) added")


@reviewers_app.command("list")
def reviewers_list(as_json: JsonOpt = False) -> None:
    """List the active reviewers (the table's and BEIAN_REVIEWERS')."""
    from sqlmodel import col, select

    from bot.cli import _settings
    from models.db import session_scope
    from models.tables import Reviewer

    with session_scope(_engine()) as session:
        rows = session.exec(select(Reviewer).where(col(Reviewer.active))).all()
        found = [{"telegram_id": r.telegram_chat_id, "name": r.name, "source": "db"} for r in rows]
    known = {r["telegram_id"] for r in found}
    found += [
        {"telegram_id": i, "name": "", "source": "BEIAN_REVIEWERS"}
        for i in _settings().reviewer_ids()
        if i not in known
    ]
    _print(
        as_json,
        found,
        [f"{r['telegram_id']}  {r['name']}  ({r['source']})" for r in found] or ["no reviewers"],
    )


@reviewers_app.command("remove")
def reviewers_remove(telegram_id: Annotated[int, typer.Argument()]) -> None:
    """Stop a reviewer acting on filings (their past actions stay in the audit trail)."""
    from models.db import session_scope
    from models.filings import remove_reviewer

    with session_scope(_engine()) as session:
        removed = remove_reviewer(session, telegram_id)
    if not removed:
        typer.echo(f"no active reviewer {telegram_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"reviewer {telegram_id} removed")


@reviewers_app.command("invite")
def reviewers_invite(
    name: Annotated[str, typer.Option("--name", help="Who the invite is for.")] = "",
) -> None:
    """Print a one-time link (valid 24 h) that makes whoever opens it a reviewer."""
    from bot.cli import _settings
    from models.db import session_scope
    from models.filings import create_invite

    with session_scope(_engine()) as session:
        code = create_invite(session, name.strip()[:100], _now())
    typer.echo(f"/start review-{code}")
    username = _settings().beian_bot_username
    if username:
        typer.echo(f"https://t.me/{username.lstrip('@')}?start=review-{code}")
    typer.echo("valid for 24 hours, once")


def _filing_or_exit(session: Any, filing_id: int) -> Any:
    from models.tables import Filing

    filing = session.get(Filing, filing_id)
    if filing is None:
        typer.echo(f"no filing {filing_id}", err=True)
        raise typer.Exit(1)
    return filing


@filings_app.command("list")
def filings_list(
    status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
    bureau: Annotated[
        str | None, typer.Option("--bureau", help="local or outside: the step in progress.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List filings, newest first."""
    from models.db import session_scope
    from models.filings import list_filings, state_of

    if bureau not in (None, "local", "outside"):
        raise typer.BadParameter("local or outside", param_hint="--bureau")
    with session_scope(_engine()) as session:
        rows = list_filings(session, status, bureau)
        payload = [
            {
                "id": f.id,
                "status": f.status.value,
                "site_name": f.site_name,
                "current_step": f.current_step,
                "bureau": state_of(f).step.bureau.zh,
                "psb_number": f.psb_number,
            }
            for f in rows
        ]
    lines = [f"#{p['id']}  {p['status']}  {p['site_name']}  第{p['current_step']}步 {p['bureau']}"
             for p in payload]  # fmt: skip
    _print(as_json, payload, lines or ["no filings"])


@filings_app.command("show")
def filings_show(filing_id: Annotated[int, typer.Argument()], as_json: JsonOpt = False) -> None:
    """Show a filing with its steps and its audit trail."""
    from bot.logs import mask
    from models.db import session_scope
    from models.filings import filing_json

    with session_scope(_engine()) as session:
        shown = filing_json(session, _filing_or_exit(session, filing_id))
    lines = [f"#{shown['id']}  {shown['site_name']}  {shown['status']}"]
    lines += [f"  第{s['order']}步 {s['bureau']['zh']}: {s['status']}" for s in shown["steps"]]
    lines += [
        f"  {e['at']}  {e['actor']}  {e['from'] or '-'} → {e['to']}  {e['reason'] or ''}"
        for e in shown["events"]
    ]
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2) if as_json else mask(
        "\n".join(lines)))  # fmt: skip


@filings_app.command("export")
def filings_export(
    filing_id: Annotated[int, typer.Argument()],
    out: Annotated[Path, typer.Option("--out", help="Folder for the answers and the PDFs.")],
) -> None:
    """Write a filing's answers (JSON, with its audit trail) and its latest PDFs into a folder."""
    from sqlmodel import col, select

    from models.db import session_scope
    from models.filings import filing_json
    from models.tables import GeneratedDocument

    with session_scope(_engine()) as session:
        shown = filing_json(session, _filing_or_exit(session, filing_id))
        documents = session.exec(
            select(GeneratedDocument)
            .where(GeneratedDocument.filing_id == filing_id)
            .order_by(col(GeneratedDocument.id))
        ).all()
        latest = {d.filename: d.content for d in documents}  # a later render replaces one
    out.mkdir(parents=True, exist_ok=True)
    (out / f"filing-{filing_id}.json").write_text(
        json.dumps(shown, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    for name, content in latest.items():
        (out / name).write_bytes(content)
    typer.echo(f"{out / f'filing-{filing_id}.json'} and {len(latest)} PDF(s)")
