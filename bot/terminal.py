"""The terminal channel: the same interview on stdin/stdout, one answer per line."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa

from bot.conversation import RenderSet, Turn, take_turn
from dialogs.model import Context, Input, Reply, Stage
from rules.text import Lang

log = logging.getLogger(__name__)

CHANNEL = "terminal"
_SORRY = {
    "zh": "抱歉，处理时出了问题，你的回答没有丢失。请再发送一次，或发送 /status 查看进度。",
    "en": "Sorry, something went wrong; nothing you entered is lost. Please send it again.",
}
_WRITTEN = {"zh": "文件已保存：", "en": "Documents written:"}


def format_reply(reply: Reply) -> str:
    """Write a reply with its choices: numbered ones to type by number, others by their word."""
    lines = [reply.text]
    for choice in reply.choices:
        if choice.number is not None:
            lines.append(f"  {choice.number}. {choice.label}")
        else:
            lines.append(f"  [{choice.label}]")
    return "\n".join(lines)


def run_chat(
    *,
    engine: sa.Engine,
    context: Callable[[], Context],
    clock: Callable[[], dt.datetime],
    render_set: RenderSet,
    external_id: str,
    lang: Lang,
    out: Path,
    stdin: TextIO,
    stdout: TextIO,
) -> int:
    """Chat until the interview is submitted or the input ends; return the exit code."""
    interactive = stdin.isatty()

    def emit(text: str) -> None:
        stdout.write(text + "\n")
        stdout.flush()

    def turn(text: str) -> Turn | None:
        try:
            result = take_turn(
                engine=engine,
                channel=CHANNEL,
                external_id=external_id,
                inp=Input.typed(text),
                ctx=context(),
                now=clock(),
                render_set=render_set,
                lang=lang,
            )
        except Exception:
            log.exception("turn failed for %s", external_id)
            emit(_SORRY[lang])
            return None
        return result  # never None: the terminal has no redelivered updates

    current_lang = lang
    first = turn("/start")
    if first is not None:
        current_lang = first.step.state.lang
        for reply in first.step.replies:
            emit(format_reply(reply))
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            return 0
        text = line.rstrip("\r\n")
        if not interactive:
            emit(f"> {text}")
        if not text.strip():
            continue
        result = turn(text)
        if result is None:
            continue
        current_lang = result.step.state.lang
        for reply in result.step.replies:
            emit(format_reply(reply))
        if result.documents:
            out.mkdir(parents=True, exist_ok=True)
            emit(_WRITTEN[current_lang])
            for doc in result.documents:
                path = out / doc.filename
                path.write_bytes(doc.pdf)
                emit(f"  {path}")
        if result.step.state.state is Stage.DONE and result.documents:
            return 0
