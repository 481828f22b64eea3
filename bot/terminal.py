"""The terminal channel: the same interview on stdin/stdout, one answer per line."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa

from bot.conversation import Turn, Who, take_turn_in_session
from bot.deliveries import RenderSet, finish_delivery, prepare_documents, undelivered
from bot.filing_actions import Reviewers, describe, reopening
from bot.ocr.reading import photo_path, read_photo_file
from bot.ocr.worker import OcrWorker
from bot.submission import Submitted, submission_writer
from bot.word_copies import word_copies
from bot.word_copies import write_in_process as write_word
from dialogs.commands import Command, read_command
from dialogs.model import Context, Input, Reply, ShowFilings, Stage
from models.db import session_scope
from models.filings import filings_of
from rules.text import Lang, Text, t

log = logging.getLogger(__name__)

CHANNEL = "terminal"
HOLDER = "terminal"
SORRY = t(
    "抱歉，处理时出了问题，你的回答没有丢失。请再发送一次，或发送 /status 查看进度。",
    "Sorry, something went wrong; nothing you entered is lost. Please send it again.",
)
WRITTEN = t("文件已保存：", "Documents written:")
SAVED = t(
    "已保存，再次运行 `beian chat` 继续。",
    "Saved. Run `beian chat` again to continue.",
)
CANNOT_WRITE = t(
    "无法把文件写入 {out}（{why}）。你的回答都已保存，仍停在核对页。"
    "请换一个可以写入的文件夹重新运行：beian chat --out 文件夹",
    "Cannot write the documents to {out} ({why}). Your answers are saved and you are still at "
    "the summary. Run again with a folder you can write to: beian chat --out FOLDER",
)


CLOSE_ON_THE_CLI = t(
    "在终端里注销备案请用：beian filings cancel 备案编号 --reason 原因"
    "（或在 Telegram 中发送 /close_site）。",
    "To cancel a filing from a terminal: beian filings cancel ID --reason R (or /close_site on "
    "Telegram).",
)
_REOPENING = {Command.CHANGE: "change", Command.AMEND: "amend"}


def format_reply(reply: Reply) -> str:
    """Write a reply with its choices: numbered ones to type by number, others by their word."""
    lines = [reply.text]
    for choice in reply.choices:
        if choice.number is not None:
            lines.append(f"  {choice.number}. {choice.label}")
        else:
            lines.append(f"  [{choice.label}]")
    return "\n".join(lines)


def writable(out: Path) -> str | None:
    """Return why documents cannot be written into `out` (None when they can)."""
    try:
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".beian-probe-"):
            pass
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (0600): the documents hold ID numbers."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.chmod(path, 0o600)


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
    reviewers: Reviewers | None = None,
    word: bool = False,
    ocr: OcrWorker | None = None,
) -> int:
    """Chat until the interview is submitted or the input ends; return the exit code.
    `reviewers`: where a change's cards go (the bot sends them)."""
    interactive = stdin.isatty()
    who = Who(CHANNEL, external_id, lang)

    def emit(text: str) -> None:
        stdout.write(text + "\n")
        stdout.flush()

    def say(text: Text) -> None:
        emit(text.get(current_lang))

    def turn(text: str, since: dt.date | None = None) -> Turn | None:
        ctx = replace(context(), buttons=False)  # choices are numbered lines to type
        try:
            inp = Input.typed(text, since=since)
            path = photo_path(text) if ocr is not None else None
            if ocr is not None and path is not None:  # a photo of the licence or an ID card
                inp = Input.photographed(
                    read_photo_file(
                        ocr, path, engine=engine, channel=CHANNEL, external_id=external_id
                    )
                )
            with session_scope(engine) as session:
                return take_turn_in_session(
                    session,
                    who,
                    inp,
                    ctx,
                    clock(),
                    effect_writer=submission_writer(ctx, HOLDER, None, reviewers),
                )
        except Exception:
            log.exception("turn failed for a terminal applicant")
            say(SORRY)
            return None

    def deliver(delivery_id: int) -> None:
        ctx = context()
        documents = prepare_documents(engine, delivery_id, render_set, ctx, clock())
        if documents is None:
            return
        emit(WRITTEN.get(current_lang))
        for doc in documents.documents:
            path = out / doc.filename
            write_private(path, doc.pdf)
            emit(f"  {path}")
        copies = (
            word_copies(engine, documents.filing_id, write_word, ctx, clock()) if word else None
        )
        for _, name, content in copies.documents if copies else []:  # `beian chat --word`
            write_private(out / name, content)
            emit(f"  {out / name}")
        for text in documents.after:
            emit(text)
        finish_delivery(engine, delivery_id, clock())

    def show_filings(applicant_id: int, effects: Iterable[object]) -> None:
        show = next((e for e in effects if isinstance(e, ShowFilings)), None)
        if show is None:
            return
        ctx = context()
        with session_scope(engine) as session:
            found = filings_of(session, applicant_id)
            for filing in found[:1] if show.newest_only else found:
                emit("\n".join(describe(filing, ctx, current_lang, masked=False)))

    current_lang: Lang = lang
    stage: Stage | None = None
    succeeded = failed = 0
    refused_out = False  # the documents could not be written where --out says
    try:
        first = turn("/start")
        if first is not None:
            succeeded += 1
            current_lang, stage = first.step.state.lang, first.step.state.state
            for reply in first.step.replies:
                emit(format_reply(reply))
            show_filings(first.applicant_id, first.step.effects)
            left = undelivered(engine, first.applicant_id)
            if left and writable(out) is None:
                for delivery_id in left:  # a previous run could not write them
                    deliver(delivery_id)
        else:
            failed += 1
        while True:
            if interactive:
                stdout.write("> ")
                stdout.flush()
            line = stdin.readline()
            if not line:
                if stage is not Stage.DONE:
                    say(SAVED)
                break
            text = line.rstrip("\r\n")
            if not interactive:
                emit(f"> {text}")
            if not text.strip():
                continue
            # At the summary the next answer may confirm: the folder must take the files.
            if stage is Stage.SUMMARY and (why := writable(out)) is not None:
                say(CANNOT_WRITE.format(out=str(out), why=why))
                refused_out = True
                continue
            words = text.split()
            if words and words[0].lower().lstrip("/／") == "close_site":
                say(CLOSE_ON_THE_CLI)
                continue
            command = read_command(text)
            reopen = _REOPENING.get(command.command) if command is not None else None
            since = None
            if reopen is not None:
                may = reopening(engine, CHANNEL, external_id, reopen)
                if may.refusal is not None:
                    say(may.refusal)
                    continue
                since = may.since
            result = turn(text, since)
            if result is None:
                failed += 1
                continue
            succeeded += 1
            current_lang, stage = result.step.state.lang, result.step.state.state
            replies = list(result.step.replies)
            submitted = result.effects if isinstance(result.effects, Submitted) else None
            if submitted is not None and submitted.refusal is not None:
                say(submitted.refusal)  # a change refused when it was written: nothing stored
                continue
            if submitted is not None and submitted.delivery_id is not None:
                emit(format_reply(replies[0]))
                try:
                    deliver(submitted.delivery_id)
                except OSError as exc:
                    log.exception("writing the documents failed")
                    say(CANNOT_WRITE.format(out=str(out), why=exc.strerror or "error"))
                    return 1
                if submitted.told is not None:  # a change: its deadline and what to do
                    say(submitted.told)
                return 0
            for reply in replies:
                emit(format_reply(reply))
            show_filings(result.applicant_id, result.step.effects)
    except KeyboardInterrupt:
        emit("")
        say(SAVED)
        return 130
    if refused_out and stage is not Stage.DONE:
        return 1
    return 1 if failed and not succeeded else 0
