"""The commands available at every question, and the asides they open (confirmations, choosing
an item to change, changing a list)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from dialogs import notices, texts
from dialogs.answering import AnsweringMixin
from dialogs.machine import move, switch
from dialogs.matching import match_option
from dialogs.model import (
    DATA_STAGES,
    Cancel,
    Choice,
    Input,
    InterviewState,
    Mode,
    Reply,
    Resume,
    Stage,
)
from dialogs.review import show_value
from dialogs.spec import Kind, Option, Question, normalize
from dialogs.turn import BACK_TO_SUMMARY, DONE, KEEP, SECTION_PREFIX
from rules.fields import fold
from rules.text import Text


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


def _o(oid: str, label: Text, *synonyms: str) -> Option:
    return Option(oid, label, synonyms)


# The choices of each confirmation; matched strictly (a near guess could delete data).
ASIDE_OPTIONS: dict[Mode, tuple[Option, ...]] = {
    Mode.CONFIRMING_CANCEL: (
        _o("keep", texts.CANCEL_KEEP, "确定", "是", "保留", "取消", "确定取消", "yes"),
        _o("delete", texts.CANCEL_DELETE, "删除", "删除资料", "取消并删除", "delete"),
        _o(
            "no",
            texts.CANCEL_NO,
            "不",
            "否",
            "继续",
            "继续填写",
            "不取消",
            "不要取消",
            "no",
            "go on",
        ),
    ),
    Mode.CONFIRMING_RESTART: (
        _o("yes", texts.RESTART_YES, "确定", "是", "重新开始", "确定重新开始", "yes"),
        _o("no", texts.RESTART_NO, "不", "否", "继续", "继续填写", "不要", "no", "go on"),
    ),
    Mode.OFFERING_RESUME: (
        _o("continue", texts.RESUME, "继续", "接着", "继续填写", "接着填", "continue", "go on"),
        _o("over", texts.START_OVER, "重新开始", "重来", "从头开始", "start over"),
    ),
    Mode.OFFERING_EDIT: (
        _o("use", texts.USE_EDIT, "用新内容", "是", "对", "用", "yes", "use"),
        _o("ignore", texts.IGNORE_EDIT, "不用", "否", "不", "no", "ignore"),
    ),
    Mode.CONFIRMING_PLAN: (
        _o("yes", texts.PLANNED_YES, "是", "是的", "对", "计划", "yes"),
        _o("no", texts.PLANNED_NO, "不是", "否", "不", "重新填写", "no"),
    ),
    Mode.CHANGING_LIST: (
        _o("add", texts.LIST_ADD, "添加", "增加", "加", "add"),
        _o("remove", texts.LIST_REMOVE, "删除", "去掉", "remove", "delete"),
        _o("replace", texts.LIST_REPLACE, "重新填写", "替换", "全部替换", "replace"),
        _o(KEEP, texts.KEEP, "保留", "不变", "keep"),
    ),
}


class CommandsMixin(AnsweringMixin):
    """Run commands and the asides they open."""

    def command(self, call: CommandCall) -> None:
        if call.command is Command.LANG:
            self.switch_language(call.argument)
        elif call.command is Command.EDIT:
            self.edit(call.argument)
        else:
            {
                Command.START: self.start,
                Command.BACK: self.back,
                Command.SKIP: self.skip,
                Command.CANCEL: lambda: self.open_aside("ask_cancel"),
                Command.RESTART: lambda: self.open_aside("ask_restart"),
                Command.STATUS: self.status,
                Command.HELP: self.help,
            }[call.command]()

    def open_aside(self, trigger: str) -> None:
        if self.s.mode is Mode.COLLECTING:
            self.s.collecting = None
        switch(self.s, trigger)
        self.ask()

    def start(self) -> None:
        if self.s.answers and self.s.mode is Mode.ANSWERING:
            switch(self.s, "offer_resume")
        self.ask()

    def switch_language(self, argument: str) -> None:
        word = fold(argument).lower()
        if word in ("en", "english", "英文", "英语"):
            self.s.lang = "en"
        elif word in ("zh", "cn", "chinese", "中文", "汉语"):
            self.s.lang = "zh"
        else:
            self.s.lang = "en" if self.lang == "zh" else "zh"
        self.say(texts.SWITCHED)
        self.ask()

    def help(self) -> None:
        q = self.question()
        lines = []
        if self.s.mode is Mode.ANSWERING and self.s.state in DATA_STAGES and q is not None:
            lines.append(q.help.get(self.lang))
            lines.append(texts.EXAMPLE.fill(self.lang, example=q.example.get(self.lang)))
        lines.append(texts.COMMANDS.get(self.lang))
        self.say("\n".join(lines))
        self.ask()

    def status(self) -> None:
        stage = self.s.state
        if stage is Stage.SUMMARY and self.s.mode is Mode.ANSWERING:
            self.s.asked += 1  # a short reminder with the summary's buttons, not the summary
            choices = [Choice("confirm", texts.CONFIRM.get(self.lang), 1), *self.section_choices(2)]
            self.replies.append(
                Reply(texts.SUMMARY_STATUS.get(self.lang), tuple(choices), str(self.s.asked))
            )
            return
        k = DATA_STAGES.index(stage) + 1 if stage in DATA_STAGES else len(DATA_STAGES)
        answered = sum(
            1 for q in self.spec.questions if q.key in self.s.answers and q.applies(self.s.answers)
        )
        lines = [
            texts.STATUS.fill(
                self.lang, k=k, n=len(DATA_STAGES), stage=self.stage_label(), answered=answered
            )
        ]
        route = notices.route_of(self.s.answers, self.ctx)
        if route is not None:
            lines.append(route.advice.get(self.lang))
        deadline = notices.status_deadline(self.s.answers, self.ctx, self.lang)
        if deadline:
            lines.append(deadline)
        self.say("\n".join(lines))
        self.ask()

    def stage_label(self) -> str:
        from dialogs.turn import OTHER_STAGE_LABELS

        label = self.spec.stage_labels.get(self.s.state) or OTHER_STAGE_LABELS[self.s.state]
        return label.get(self.lang)

    def back(self) -> None:
        if self.s.mode is Mode.COLLECTING:
            switch(self.s, "settle")
            self.s.collecting = None
        current = self.s.question if self.s.state in DATA_STAGES else None
        while self.s.history:
            qid = self.s.history.pop()
            q = self.question(qid)
            if q is not None and qid != current and q.applies(self.s.answers):
                self.go_to(q)
                self.ask()
                return
        self.say(texts.FIRST_QUESTION)
        self.ask()

    # --- /edit ---------------------------------------------------------------------------

    def answered_questions(self) -> list[Question]:
        answers = self.s.answers
        return [q for q in self.spec.questions if q.key in answers and q.applies(answers)]

    def edit(self, argument: str) -> None:
        answered = self.answered_questions()
        if not answered:
            self.say(texts.NOTHING_TO_EDIT)
            self.ask()
            return
        if not argument:
            self.choose(None, [SECTION_PREFIX + s.value for s in self._sections()], texts.EDIT_PICK)
            return
        found = self.find_items(argument, answered)
        if len(found) == 1:
            self.begin_edit(found[0])
            return
        if found:
            self.choose(None, [q.id for q in found], texts.EDIT_WHICH.format(name=argument))
            return
        later = self.find_items(argument, list(self.spec.questions))
        if later:
            self.say(texts.EDIT_NOT_YET.format(name=later[0].label.get(self.lang)))
            self.ask()
            return
        self.say(texts.EDIT_UNKNOWN.format(name=argument[:40]))
        self.choose(None, [SECTION_PREFIX + s.value for s in self._sections()], texts.EDIT_PICK)

    def _sections(self) -> list[Stage]:
        answered = {q.stage for q in self.answered_questions()}
        return [stage for stage, _ in self.spec.stages if stage in answered]

    def find_items(self, argument: str, among: list[Question]) -> list[Question]:
        """Return the items `argument` names: by label, key, alias, or its section's label."""
        word = normalize(argument)
        worded = [self.spec.worded(q, self.subject_type) for q in among]
        exact = [q for q in worded if word in q.names or word == normalize(q.label.zh)]
        if exact:
            return exact
        for stage, label in self.spec.stages:
            if word in (normalize(label.zh), normalize(label.en)):
                return [q for q in worded if q.stage is stage]
        return [
            q
            for q in worded
            if any(word in name or name in word for name in q.names if len(name) >= 2)
        ]

    def choose(self, prefix: Text | None, candidates: list[str], head: Text) -> None:
        if self.s.mode is not Mode.CHOOSING_ITEM:
            if self.s.mode is Mode.COLLECTING:
                self.s.collecting = None
            switch(self.s, "choose_item")
        self.s.choices = candidates
        self.s.pending_text = head.get(self.lang)
        self.ask([prefix.get(self.lang)] if prefix else None)

    def begin_edit(self, q: Question) -> None:
        if self.s.mode is Mode.CHOOSING_ITEM:
            switch(self.s, "settle")
        self.s.choices = self.s.pending_text = None
        if q.kind in (Kind.MULTI, Kind.MULTI_CHOICE) and self.s.answers.get(q.key):
            self.go_to(q)
            switch(self.s, "change_list")
            self.ask()
            return
        self.go_to(q)
        self.ask()

    # --- the asides ----------------------------------------------------------------------

    def asking_aside(self, lines: list[str]) -> list[Choice]:
        mode, lang = self.s.mode, self.lang
        if mode is Mode.CHOOSING_ITEM:
            lines.append(self.s.pending_text or texts.EDIT_ITEM.get(lang))
            return self.item_choices()
        if mode is Mode.REMOVING_ITEMS:
            q = self.question()
            assert q is not None
            lines.append(texts.REMOVE_PICK.get(lang))
            marked = set(self.s.collecting or ())
            values = self.s.choices or []
            choices = [
                Choice(
                    str(i),
                    ("✅ " if str(i) in marked else "") + show_value(q, v, lang, self.s.answers),
                    i + 1,
                )
                for i, v in enumerate(values)
            ]
            return [*choices, Choice(DONE, texts.DONE_ADDING.get(lang))]
        if mode is Mode.CHANGING_LIST:
            q = self.question()
            assert q is not None
            shown = show_value(q, self.s.answers.get(q.key), lang, self.s.answers)
            lines.append(texts.LIST_MENU.fill(lang, label=q.label.get(lang), values=shown))
        elif mode is Mode.CONFIRMING_CANCEL:
            lines.append(texts.CANCEL_ASK.get(lang))
        elif mode is Mode.CONFIRMING_RESTART:
            lines.append(texts.RESTART_ASK.get(lang))
        elif mode is Mode.OFFERING_RESUME:
            lines.append(texts.RESUME_ASK.fill(lang, where=self.where()))
        elif mode is Mode.OFFERING_EDIT:
            q = self.question(self.s.history[-1]) if self.s.history else None
            label = q.label.get(lang) if q else ""
            lines.append(texts.EDIT_OFFER.fill(lang, label=label, text=self.s.pending_text or ""))
        elif mode is Mode.CONFIRMING_PLAN:
            day = notices.day(dt.date.fromisoformat(self.s.pending_text or ""), lang)
            lines.append(texts.FUTURE_DATE.fill(lang, date=day))
        return self.choices(ASIDE_OPTIONS.get(mode, ()))

    def shown(self, q: Question, value: object) -> str:
        return show_value(q, value, self.lang, self.s.answers)

    def item_choices(self) -> list[Choice]:
        lang = self.lang
        choices = []
        for i, candidate in enumerate(self.s.choices or [], 1):
            if candidate.startswith(SECTION_PREFIX):
                stage = Stage(candidate[len(SECTION_PREFIX) :])
                label = self.spec.stage_labels[stage].get(lang)
            else:
                q = self.question(candidate)
                label = q.label.get(lang) if q else candidate
            choices.append(Choice(candidate, label, i))
        back = texts.BACK_TO_SUMMARY if self.s.state is Stage.SUMMARY else texts.GO_ON
        choices.append(Choice(BACK_TO_SUMMARY, back.get(lang)))
        return choices

    def resolve_aside(self, inp: Input) -> None:
        mode = self.s.mode
        if mode is Mode.CHOOSING_ITEM:
            self.resolve_item(inp)
            return
        if mode is Mode.REMOVING_ITEMS:
            self.resolve_removal(inp)
            return
        options = ASIDE_OPTIONS[mode]
        chosen = inp.choice
        if chosen is None and inp.text is not None:
            option = match_option(inp.text, options, strict=True)
            chosen = option.id if option else None
        if chosen not in {o.id for o in options}:
            self.say(texts.CHOICE_AGAIN)
            self.ask()
            return
        {
            Mode.CONFIRMING_CANCEL: self.resolve_cancel,
            Mode.CONFIRMING_RESTART: self.resolve_restart,
            Mode.OFFERING_RESUME: self.resolve_resume,
            Mode.OFFERING_EDIT: self.resolve_edit_offer,
            Mode.CONFIRMING_PLAN: self.resolve_plan,
            Mode.CHANGING_LIST: self.resolve_list_change,
        }[mode](str(chosen))

    def resolve_item(self, inp: Input) -> None:
        candidates = self.s.choices or []
        chosen = inp.choice
        if chosen is None and inp.text is not None:
            chosen = self._named_item(inp.text, candidates)
        if chosen == BACK_TO_SUMMARY:
            switch(self.s, "settle")
            self.s.choices = self.s.pending_text = None
            self.say(texts.GO_ON)
            self.ask()
            return
        if chosen is None or chosen not in candidates:
            self.say(texts.CHOICE_AGAIN)
            self.ask()
            return
        if chosen.startswith(SECTION_PREFIX):
            stage = Stage(chosen[len(SECTION_PREFIX) :])
            items = [q.id for q in self.answered_questions() if q.stage is stage]
            self.s.choices = items
            self.s.pending_text = texts.EDIT_ITEM.get(self.lang)
            self.ask()
            return
        q = self.question(chosen)
        assert q is not None
        self.begin_edit(q)

    def _named_item(self, text: str, candidates: list[str]) -> str | None:
        """Return the candidate a typed answer names: its number, its label, an item's name."""
        word = normalize(text)
        if word.isdigit():
            index = int(word) - 1
            return candidates[index] if 0 <= index < len(candidates) else None
        labels = {c.id: normalize(c.label) for c in self.item_choices()}
        exact = [c for c in candidates if labels.get(c) == word]
        if len(exact) == 1:
            return exact[0]
        among = [q for q in self.answered_questions() if q.id in candidates]
        named = self.find_items(text, among) if among else []
        return named[0].id if len(named) == 1 else None

    def resolve_cancel(self, chosen: str) -> None:
        if chosen == "keep":
            switch(self.s, "pause")
            self.effects.append(Cancel(delete=False))
            self.say(texts.CANCELLED)
        elif chosen == "delete":
            self.s = InterviewState(lang=self.lang)
            self.effects.append(Cancel(delete=True))
            self.say(texts.DELETED)
        else:
            switch(self.s, "settle")
            self.say(texts.GO_ON)
            self.ask()

    def resolve_restart(self, chosen: str) -> None:
        if chosen == "yes":
            self.reset()
        else:
            switch(self.s, "settle")
            self.say(texts.GO_ON)
            self.ask()

    def resolve_resume(self, chosen: str) -> None:
        self.effects.append(Resume())
        if chosen == "over":
            self.reset()
            return
        switch(self.s, "settle")
        self.say(texts.GO_ON)
        self.ask()

    def resolve_edit_offer(self, chosen: str) -> None:
        text, self.s.pending_text = self.s.pending_text, None
        switch(self.s, "settle")
        if chosen == "use" and text is not None and self.s.history:
            self.reanswer(self.s.history[-1], text)
        else:
            self.say(texts.GO_ON)
            self.ask()

    def resolve_plan(self, chosen: str) -> None:
        planned, self.s.pending_text = self.s.pending_text, None
        switch(self.s, "settle")
        q = self.question()
        if chosen != "yes" or q is None or planned is None:
            self.ask()
            return
        self.s.answers["planned_online_date"] = planned
        planned_q = self.spec.by_key["planned_online_date"]
        self._record(planned_q)
        self.store(q, None)  # not online yet: the deadline is dated from the planned day

    def resolve_list_change(self, chosen: str) -> None:
        q = self.question()
        assert q is not None
        current = list(self.s.answers.get(q.key) or [])
        if chosen == "add":
            switch(self.s, "add_to_list")
            self.s.collecting = current
        elif chosen == "remove":
            switch(self.s, "remove_from_list")
            self.s.choices, self.s.collecting = current, []
        elif chosen == "replace":
            switch(self.s, "settle")
            self.s.answers.pop(q.key, None)
        else:
            switch(self.s, "settle")
            self.keep(q)
            return
        self.ask()

    def resolve_removal(self, inp: Input) -> None:
        q = self.question()
        assert q is not None
        values = self.s.choices or []
        marked = list(self.s.collecting or [])
        if inp.choice is not None and inp.choice != DONE:
            if inp.choice in marked:
                marked.remove(inp.choice)
            elif inp.choice.isdigit() and int(inp.choice) < len(values):
                marked.append(inp.choice)
            self.s.collecting = marked
            self._in_place = True
            self.ask()
            return
        if inp.text is not None and normalize(inp.text) not in ("完成", "done"):
            numbers = [p for p in re.split(r"\D+", fold(inp.text)) if p]
            marked = [str(int(n) - 1) for n in numbers if 0 < int(n) <= len(values)]
            if not marked:
                self.say(texts.CHOICE_AGAIN)
                self.ask()
                return
        kept = [v for i, v in enumerate(values) if str(i) not in marked]
        if not kept:
            self.s.collecting = []
            self.ask([texts.REMOVE_ALL.get(self.lang)])
            return
        switch(self.s, "settle")
        self.s.choices = None
        self.store(q, kept, echo_list=True)

    def reset(self) -> None:
        lang = self.lang
        move(self.s, "restart")
        switch(self.s, "reset")
        self.s = InterviewState(lang=lang, asked=self.s.asked)
        self.welcome()

    def welcome(self) -> None:
        raise NotImplementedError  # the engine greets
