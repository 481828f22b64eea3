"""What the `beian` verbs share: the settings read once a run, the pack, today, the language,
the output folder, and printing text or JSON. A problem is one line and an exit code."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.settings import Settings
from rules.text import Lang

if TYPE_CHECKING:
    from rules.pack import Pack

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
