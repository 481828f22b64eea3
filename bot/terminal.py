"""The terminal channel: the same interview on stdin/stdout, one answer per line."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa
from sqlmodel import col, select

from bot.conversation import Turn, Who, take_turn_in_session
from bot.deliveries import RenderSet, finish_delivery, prepare_documents, undelivered
from bot.files import write_private
from bot.filing_actions import Reopening, Reviewers, describe, reopening
from bot.ocr.reading import photo_path, read_photo_file
from bot.ocr.worker import OcrWorker
from bot.submission import Submitted, submission_writer
from bot.word_copies import word_copies
from bot.word_copies import write_in_process as write_word
from dialogs.commands import Command, read_command
from dialogs.model import Context, Input, Reply, ShowFilings, Stage
from models.db import session_scope
from models.filings import filings_of
from models.tables import GeneratedDocument
from rules.text import Lang, Text, t

log = logging.getLogger(__name__)

CHANNEL = "terminal"
HOLDER = "terminal"
SORRY = t(
    "抱歉，处理时出了问题，你的回答没有丢失。请再发送一次，或发送 /status 查看进度。",
    "Sorry, something went wrong; nothing you entered is lost. Please send it again.",
)
WRITTEN = t("文件已保存：", "Documents written:")
VOID = t("作废-", "void-")  # an earlier document the new ones do not replace, set aside
SET_ASIDE = t("  旧文件已作废，改名为：{new}", "  An old document is void, renamed: {new}")
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
    switch_lang: bool = False,
) -> int:
    """Chat until the interview is submitted or the input ends; return the exit code.
    `reviewers`: where a change's cards go (the bot sends them). `switch_lang`: `lang` was
    asked for (--lang), so an interview kept in the other language goes on in this one."""
    who = Who(CHANNEL, external_id, lang)
    chat = TerminalChat(engine, context, clock, render_set, who, lang, out, stdout, reviewers,
                        word, ocr)  # fmt: skip
    interactive = stdin.isatty()
    try:
        chat.begin(switch_lang)
        while True:
            if interactive:
                stdout.write("> ")
                stdout.flush()
            line = stdin.readline()
            if not line:
                if chat.unfinished():
                    chat.say(SAVED)
                break
            text = line.rstrip("\r\n")
            if not interactive:
                chat.emit(f"> {text}")
            code = chat.answer(text)
            if code is not None:
                return code
    except KeyboardInterrupt:
        chat.emit("")
        if chat.unfinished():
            chat.say(SAVED)
        return 130
    return chat.exit_code()


@dataclass
class TerminalChat:
    """One applicant's chat in this terminal: the turns, what they show, the documents written
    into `out`, and how the chat has gone so far (for the exit code)."""

    engine: sa.Engine
    context: Callable[[], Context]
    clock: Callable[[], dt.datetime]
    render_set: RenderSet
    who: Who  # its `lang`: the one a new interview starts in (`--lang`)
    lang: Lang  # the interview's language, as its last turn left it
    out: Path
    stdout: TextIO
    reviewers: Reviewers | None = None
    word: bool = False
    ocr: OcrWorker | None = None
    stage: Stage | None = None
    answered: bool = False  # the interview holds answers (what "saved" would keep)
    succeeded: int = 0
    failed: int = 0
    refused_out: bool = False  # the documents could not be written where --out says

    def emit(self, text: str) -> None:
        """Print a line now."""
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def say(self, text: Text) -> None:
        """Print a sentence in the interview's language."""
        self.emit(text.get(self.lang))

    def begin(self, switch_lang: bool = False) -> None:
        """Greet (or resume), show the applicant's filings, and write what a run before could
        not. `switch_lang`: a kept interview in another language than --lang switches to it."""
        first = self.turn("/start")
        if first is not None and switch_lang and first.step.state.lang != self.who.lang:
            switched = self.turn(f"/lang {self.who.lang}")
            again = self.turn("/start") if switched is not None else None
            if switched is not None and again is not None:  # its greeting, in this language
                replies = (*switched.step.replies[:1], *again.step.replies)
                first = replace(again, step=replace(again.step, replies=replies))
        if first is None:
            self.failed += 1
            return
        self.took(first)
        for reply in first.step.replies:
            self.emit(format_reply(reply))
        self.show_filings(first.applicant_id, first.step.effects)
        left = undelivered(self.engine, first.applicant_id)
        if left and writable(self.out) is None:
            for delivery_id in left:  # a previous run could not write them
                self.deliver(delivery_id)

    def answer(self, text: str) -> int | None:
        """Take one typed line; return the exit code when the chat is over."""
        if not text.strip():
            return None
        # At the summary the next answer may confirm: the folder must take the files.
        if self.stage is Stage.SUMMARY and (why := writable(self.out)) is not None:
            self.say(CANNOT_WRITE.format(out=str(self.out), why=why))
            self.refused_out = True
            return None
        words = text.split()
        if words and words[0].lower().lstrip("/／") == "close_site":
            self.say(CLOSE_ON_THE_CLI)
            return None
        may = self.reopening(text)
        if may.refusal is not None:
            self.say(may.refusal)
            return None
        result = self.turn(text, may.since, may.returned)
        if result is None:
            self.failed += 1
            return None
        self.took(result)
        return self.show(result)

    def reopening(self, text: str) -> Reopening:
        """For /change and /amend: why the answers may not be reopened, or since when (an
        amendment: whether its filing was returned)."""
        command = read_command(text)
        reopen = _REOPENING.get(command.command) if command is not None else None
        if reopen is None:
            return Reopening(None)
        number = command.argument.strip().lstrip("#＃") if command is not None else ""
        filing_id = int(number) if number.isdigit() else None  # `/change 2`: filing #2
        return reopening(self.engine, CHANNEL, self.who.external_id, reopen, filing_id)

    def took(self, result: Turn) -> None:
        """Count a turn that went through, and follow its language and stage."""
        self.succeeded += 1
        self.lang, self.stage = result.step.state.lang, result.step.state.state
        self.answered = bool(result.step.state.answers)

    def unfinished(self) -> bool:
        """An interview is under way and kept for the next run (not one just deleted, not a
        welcome with nothing typed yet, not a filing already confirmed)."""
        if self.stage is Stage.DONE:
            return False
        return self.answered or self.stage not in (None, Stage.WELCOME)

    def show(self, result: Turn) -> int | None:
        """Print a turn's replies; a submission writes its documents and ends the chat (its
        exit code)."""
        replies = list(result.step.replies)
        submitted = result.effects if isinstance(result.effects, Submitted) else None
        if submitted is not None and submitted.refusal is not None:
            self.say(submitted.refusal)  # a change refused when it was written: nothing stored
            return None
        if submitted is not None and submitted.delivery_id is not None:
            if submitted.first is not None:  # an amendment, worded for the filing's status
                self.say(submitted.first)
            else:
                self.emit(format_reply(replies[0]))
            try:
                self.deliver(submitted.delivery_id)
            except OSError as exc:
                log.exception("writing the documents failed")
                self.say(CANNOT_WRITE.format(out=str(self.out), why=exc.strerror or "error"))
                return 1
            if submitted.told is not None:  # a change: its deadline and what to do
                self.say(submitted.told)
            return 0
        for reply in replies:
            self.emit(format_reply(reply))
        self.show_filings(result.applicant_id, result.step.effects)
        return None

    def exit_code(self) -> int:
        """The input ended: 1 when nothing went through or the documents had nowhere to go."""
        if self.refused_out and self.stage is not Stage.DONE:
            return 1
        return 1 if self.failed and not self.succeeded else 0

    def turn(
        self, text: str, since: dt.date | None = None, returned: bool | None = None
    ) -> Turn | None:
        """Take one input through the interview (a photo's path: the photo, read); None when
        it failed (said, and logged)."""
        # Choices are numbered lines to type; 注销 is an operator's command here.
        ctx = replace(self.context(), buttons=False, close_site=False)
        try:
            inp = Input.typed(text, since=since, returned=returned)
            path = photo_path(text) if self.ocr is not None else None
            if self.ocr is not None and path is not None:  # a photo of the licence or an ID
                inp = Input.photographed(
                    read_photo_file(
                        self.ocr, path, engine=self.engine, channel=CHANNEL,
                        external_id=self.who.external_id,
                    )
                )  # fmt: skip
            with session_scope(self.engine) as session:
                return take_turn_in_session(
                    session,
                    self.who,
                    inp,
                    ctx,
                    self.clock(),
                    effect_writer=submission_writer(ctx, HOLDER, None, self.reviewers),
                )
        except Exception:
            log.exception("turn failed for a terminal applicant")
            self.say(SORRY)
            return None

    def deliver(self, delivery_id: int) -> None:
        """Write a delivery's documents (and, with --word, the Word copies) into `out`."""
        ctx = self.context()
        documents = prepare_documents(self.engine, delivery_id, self.render_set, ctx, self.clock())
        if documents is None:
            return
        self.emit(WRITTEN.get(self.lang))
        self.set_aside(documents.filing_id, documents.documents)
        for doc in documents.documents:
            path = self.out / doc.filename
            write_private(path, doc.pdf)
            self.emit(f"  {path}")
        copies = (
            word_copies(self.engine, documents.filing_id, write_word, ctx, self.clock())
            if self.word
            else None
        )
        for _, name, content in copies.documents if copies else []:  # `beian chat --word`
            write_private(self.out / name, content)
            self.emit(f"  {self.out / name}")
        for text in documents.after:
            self.emit(text)
        finish_delivery(self.engine, delivery_id, self.clock())

    def set_aside(self, filing_id: int, new: Iterable[Any]) -> None:
        """Rename the filing's earlier documents of the kinds made now, in `out`, that the new
        ones do not replace (a name that changed with the answers, a second form no longer
        due) to 作废-…: the reply says the old ones are void, and they stayed beside the new
        under their names."""
        kinds = {d.kind for d in new}
        kept = {d.filename for d in new}
        with session_scope(self.engine) as session:
            names = set(session.exec(
                select(GeneratedDocument.filename).where(
                    GeneratedDocument.filing_id == filing_id,
                    col(GeneratedDocument.kind).in_(kinds),
                )
            ))  # fmt: skip
        prefix = VOID.get(self.lang)
        for name in sorted(names - kept):
            old = self.out / name
            if old.is_file() and not name.startswith(prefix):
                with contextlib.suppress(OSError):
                    old.rename(self.out / f"{prefix}{name}")
                    self.emit(SET_ASIDE.fill(self.lang, old=name, new=f"{prefix}{name}"))

    def show_filings(self, applicant_id: int, effects: Iterable[object]) -> None:
        """List the applicant's filings when the turn asks for them (/status)."""
        show = next((e for e in effects if isinstance(e, ShowFilings)), None)
        if show is None:
            return
        ctx = self.context()
        with session_scope(self.engine) as session:
            found = filings_of(session, applicant_id)
            for filing in found[:1] if show.newest_only else found:
                self.emit("\n".join(describe(filing, ctx, self.lang, masked=False, terminal=True)))
