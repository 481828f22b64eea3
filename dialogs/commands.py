"""Commands: the ones available at every question (/back, /edit, /skip, /cancel, /status, …)
and the words that mean them. The asides they open live in asides.py and editing.py."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dialogs import notices, texts
from dialogs import texts_reopened as reopened
from dialogs.answering import Answering
from dialogs.editing import Editing
from dialogs.machine import switch
from dialogs.model import (
    DATA_STAGES,
    Choice,
    Mode,
    Reply,
    Stage,
)
from dialogs.turn import Core, Part
from rules.fields import fold


class Command(StrEnum):
    """The conversation commands available at every question."""

    START = "start"
    BACK = "back"
    EDIT = "edit"
    SKIP = "skip"
    CANCEL = "cancel"
    RESTART = "restart"
    STATUS = "status"
    HELP = "help"
    LANG = "lang"
    AMEND = "amend"  # after a return: reopen the confirmed answers to fix them
    CHANGE = "change"  # after certification: report a change (变更)
    NEW = "new"  # once done: a new interview, for another site


# Whole messages in Chinese (or English) that mean a command.
_WORDS: dict[str, Command] = {
    "返回": Command.BACK, "上一步": Command.BACK, "上一题": Command.BACK, "后退": Command.BACK,
    "back": Command.BACK, "修改": Command.EDIT, "编辑": Command.EDIT, "跳过": Command.SKIP,
    "skip": Command.SKIP, "取消": Command.CANCEL, "cancel": Command.CANCEL,
    "重新开始": Command.RESTART, "重来": Command.RESTART, "restart": Command.RESTART,
    "状态": Command.STATUS, "进度": Command.STATUS, "status": Command.STATUS,
    "帮助": Command.HELP, "help": Command.HELP, "?": Command.HELP, "？": Command.HELP,
    "开始": Command.START,
}  # fmt: skip


@dataclass(frozen=True)
class CommandCall:
    """A command and what followed it (`/edit 域名` → EDIT, "域名")."""

    command: Command
    argument: str


def read_command(text: str) -> CommandCall | None:
    """Return the command a message is, if it is one."""
    raw = fold(text)
    if raw.startswith("/"):
        head, _, rest = raw[1:].partition(" ")
        head = head.split("@", 1)[0].lower()  # /help@beian_bot in groups
        try:
            return CommandCall(Command(head), rest.strip())
        except ValueError:
            return None
    word = raw.rstrip("。.!！").lower()
    if word in _WORDS:
        return CommandCall(_WORDS[word], "")
    for prefix in ("修改", "编辑"):
        if word.startswith(prefix) and len(word) > len(prefix):
            return CommandCall(Command.EDIT, word[len(prefix) :].strip())
    return None


class Commands(Part):
    """Run the commands available at every question."""

    def __init__(self, core: Core, answering: Answering, editing: Editing) -> None:
        super().__init__(core)
        self.answering = answering  # /skip
        self.editing = editing  # /edit

    def command(self, call: CommandCall) -> None:
        if call.command is Command.LANG:
            self.switch_language(call.argument)
        elif call.command is Command.EDIT:
            self.editing.edit(call.argument)
        else:
            {
                Command.START: self.start,
                Command.NEW: self.start,
                Command.BACK: self.back,
                Command.SKIP: self.answering.skip,
                Command.CANCEL: lambda: self.core.open_aside("ask_cancel"),
                Command.RESTART: lambda: self.core.open_aside("ask_restart"),
                Command.STATUS: self.status,
                Command.HELP: self.help,
                Command.AMEND: self.not_amendable,
                Command.CHANGE: self.not_amendable,
            }[call.command]()

    def not_amendable(self) -> None:
        self.core.ask([texts.NOTHING_TO_AMEND.get(self.lang)])

    def start(self) -> None:
        if self.s.answers and self.s.mode is Mode.ANSWERING:
            switch(self.s, "offer_resume")
        self.core.ask()

    def switch_language(self, argument: str) -> None:
        word = fold(argument).lower()
        if word in ("en", "english", "英文", "英语"):
            self.s.lang = "en"
        elif word in ("zh", "cn", "chinese", "中文", "汉语"):
            self.s.lang = "zh"
        else:
            self.s.lang = "en" if self.lang == "zh" else "zh"
        self.core.say(texts.SWITCHED)
        self.core.ask()

    def help(self) -> None:
        q = self.core.question()
        lines = []
        if self.s.mode is Mode.ANSWERING and self.s.state in DATA_STAGES and q is not None:
            lines.append(q.help.get(self.lang))
            lines.append(texts.EXAMPLE.fill(self.lang, example=q.example.get(self.lang)))
        filed = self.s.state is Stage.DONE
        close = reopened.close_listed(self.core.ctx.close_site)
        listed = texts.COMMANDS_FILED if filed else texts.COMMANDS
        lines.append(listed.fill(self.lang, close=close.get(self.lang)))
        self.core.say("\n".join(lines))
        self.core.ask()

    def status(self) -> None:
        stage = self.s.state
        if stage is Stage.SUMMARY and self.s.mode is Mode.ANSWERING:
            self.s.asked += 1  # a short reminder with the summary's buttons, not the summary
            choices = [
                Choice("confirm", texts.CONFIRM.get(self.lang), 1),
                *self.core.asking.section_choices(2),
            ]
            self.core.replies.append(
                Reply(texts.SUMMARY_STATUS.get(self.lang), tuple(choices), str(self.s.asked))
            )
            return
        k = DATA_STAGES.index(stage) + 1 if stage in DATA_STAGES else len(DATA_STAGES)
        answers = self.s.answers
        answered = sum(1 for q in self.spec.questions if q.key in answers and q.applies(answers))
        lines = [
            texts.STATUS.fill(
                self.lang, k=k, n=len(DATA_STAGES), stage=self.core.stage_label(), answered=answered
            )
        ]
        route = notices.route_of(self.s.answers, self.ctx)
        if route is not None:
            lines.append(route.advice.get(self.lang))
        reopened = self.s.changing_from is not None or self.s.amending
        deadline = notices.status_deadline(self.s.answers, self.ctx, self.lang)
        if deadline and not reopened:  # a filed site's 30 days are behind it, not before
            lines.append(deadline)
        self.core.say("\n".join(lines))
        self.core.ask()

    def back(self) -> None:
        if self.s.mode is Mode.COLLECTING:
            switch(self.s, "settle")
            self.s.collecting = None
        current = self.s.question if self.s.state in DATA_STAGES else None
        while self.s.history:
            qid = self.s.history.pop()
            q = self.core.question(qid)
            if q is not None and qid != current and q.applies(self.s.answers):
                self.core.go_to(q)
                self.core.ask()
                return
        self.core.say(texts.FIRST_QUESTION)
        self.core.ask()
