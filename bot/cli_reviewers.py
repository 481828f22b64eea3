"""Operators' commands: `beian reviewers …` (issue 12) — who reviews this city's filings, who
cannot be reached, and invites. The sign-in link (`login-link`) is the desk's (bot.console.cli).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from bot.cli_common import LangOpt, _lang
from bot.cli_operators import JsonOpt, _engine, _now, _print

reviewers_app = typer.Typer(help="Bureau reviewers.", no_args_is_help=True, rich_markup_mode=None)


@reviewers_app.command("add")
def reviewers_add(
    telegram_id: Annotated[
        # A person's Telegram id is positive (a group's is negative): cards go to a person.
        int, typer.Argument(help="The reviewer's Telegram user id.", min=1, max=2**63 - 1)
    ],
    name: Annotated[str, typer.Option("--name", help="The reviewer's name.")],
    lang: LangOpt = None,
) -> None:
    """Register a reviewer of this city's bureau."""
    import re

    from models.db import session_scope
    from models.filings import add_reviewer

    # No control characters (a terminal escape, a line break) in what lists and cards show.
    shown = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", name).split())[:100]
    zh = _lang(lang) == "zh"
    if not shown:
        empty = "审核员的姓名是空的" if zh else "the reviewer's name is empty"
        raise typer.BadParameter(empty, param_hint="--name")
    with session_scope(_engine()) as session:
        add_reviewer(session, telegram_id, shown, _now())
    typer.echo(f"已添加审核员 {telegram_id}（{shown}）" if zh
               else f"reviewer {telegram_id} ({shown}) added")  # fmt: skip


@reviewers_app.command("list")
def reviewers_list(as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """List the active reviewers (BEIAN_REVIEWERS' among them) and who cannot be reached."""
    from sqlmodel import col, select

    from bot.cli_common import _settings
    from models.db import session_scope
    from models.reviewers import unreachable
    from models.tables import Reviewer

    settings = _settings()
    with session_scope(_engine()) as session:
        rows = session.exec(
            select(Reviewer).where(col(Reviewer.active)).order_by(col(Reviewer.id))
        ).all()
        marks = unreachable(session)
        found: list[dict[str, Any]] = [
            {
                "telegram_id": r.telegram_chat_id,
                "name": r.name,
                "source": r.source,
                "reachable": r.telegram_chat_id not in marks,
                "unreachable_since": _since(marks.get(r.telegram_chat_id)),
                "last_failure": _failure(marks.get(r.telegram_chat_id)),
            }
            for r in rows
        ]
    said = _lang(lang)
    lines = [
        f"{r['telegram_id']}  {r['name']}  ({r['source']})"
        + _unreached(r["unreachable_since"], r["last_failure"], said)
        for r in found
    ] or ["没有审核员" if said == "zh" else "no reviewers"]
    for setting, chat in (
        ("BEIAN_REVIEW_CHAT", settings.beian_review_chat),
        ("BEIAN_SUPERVISOR_CHAT", settings.beian_supervisor_chat),
    ):
        if chat is not None:
            mark = marks.get(chat)
            lines.append(f"{chat}  ({setting})" + _unreached(_since(mark), _failure(mark), said))
    _print(as_json, found, lines)


def _since(mark: Any) -> str | None:
    return mark.since.isoformat(timespec="seconds") if mark is not None else None


def _failure(mark: Any) -> str | None:
    if mark is None:
        return None
    return f"{mark.error} ({mark.failures}x, last {mark.last_at:%Y-%m-%d %H:%M} UTC)"


def _unreached(since: str | None, failure: str | None, lang: str) -> str:
    if not since:
        return ""
    if lang == "zh":
        return f"  无法送达（自 {since} 起）：{failure}"
    return f"  CANNOT BE REACHED since {since}: {failure}"


@reviewers_app.command("remove")
def reviewers_remove(telegram_id: Annotated[int, typer.Argument()], lang: LangOpt = None) -> None:
    """Stop a reviewer acting on filings (their past actions stay in the audit trail)."""
    from models.db import session_scope
    from models.filings import remove_reviewer

    with session_scope(_engine()) as session:
        removed = remove_reviewer(session, telegram_id)
    zh = _lang(lang) == "zh"
    if not removed:
        typer.echo(f"没有在任的审核员 {telegram_id}" if zh else f"no active reviewer {telegram_id}",
                   err=True)  # fmt: skip
        raise typer.Exit(1)
    typer.echo(f"已移除审核员 {telegram_id}" if zh else f"reviewer {telegram_id} removed")


@reviewers_app.command("invite")
def reviewers_invite(
    name: Annotated[str, typer.Option("--name", help="Who the invite is for.")] = "",
    lang: LangOpt = None,
) -> None:
    """Print a one-time link (valid 24 h) that makes whoever opens it a reviewer."""
    from bot.cli_common import _settings
    from models.db import session_scope
    from models.filings import create_invite

    with session_scope(_engine()) as session:
        code = create_invite(session, name.strip()[:100], _now())
    typer.echo(f"/start review-{code}")
    username = _settings().beian_bot_username
    if username:
        typer.echo(f"https://t.me/{username.lstrip('@')}?start=review-{code}")
    typer.echo("24小时内有效，只能用一次" if _lang(lang) == "zh" else "valid for 24 hours, once")
