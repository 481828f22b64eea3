"""Asides: the confirmations the interview asks before it acts (cancel, restart, resume, use an
edited message, a go-live date in the future, reuse the last filing's people, a place's
closest names), and how their answers are read."""

from __future__ import annotations

import datetime as dt

from dialogs import notices, texts
from dialogs.answering import Answering
from dialogs.asking import picked_or_asked
from dialogs.machine import move, switch
from dialogs.model import Cancel, Choice, Input, InterviewState, Mode, Resume
from dialogs.reuse import reuse_lines
from dialogs.spec import Option
from dialogs.turn import Core, Part
from rules.text import Text

PLACE_PREFIX = "place:"


def _o(oid: str, label: Text, *synonyms: str) -> Option:
    return Option(oid, label, synonyms)


# The choices of each confirmation; matched strictly (a near guess could delete data).
OPTIONS: dict[Mode, tuple[Option, ...]] = {
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
    Mode.OFFERING_PREVIOUS: (
        _o("reuse", texts.REUSE_YES, "沿用", "是", "用", "好", "好的", "yes", "use", "use them"),
        _o("afresh", texts.REUSE_NO, "重新填写", "不用", "否", "不", "重新填", "no", "afresh"),
    ),
}


class Asides(Part):
    """Ask the confirmations and act on their answers."""

    MODES = (*OPTIONS, Mode.SUGGESTING)

    def __init__(self, core: Core, answering: Answering) -> None:
        super().__init__(core)
        self.answering = answering  # an edited message, a planned date, a place: answers
        core.register(self, self.MODES)

    def ask_aside(self, lines: list[str]) -> list[Choice]:
        if self.s.mode is Mode.SUGGESTING:
            return self.asking_suggestions(lines)
        self.asking_confirmation(lines)
        return self.core.choices(OPTIONS[self.s.mode])

    def resolve_aside(self, inp: Input) -> None:
        mode = self.s.mode
        if mode is Mode.SUGGESTING:
            self.resolve_suggestion(inp)
            return
        chosen = picked_or_asked(self.core, OPTIONS[mode], inp)
        if chosen is None:
            return
        {
            Mode.CONFIRMING_CANCEL: self.resolve_cancel,
            Mode.CONFIRMING_RESTART: self.resolve_restart,
            Mode.OFFERING_RESUME: self.resolve_resume,
            Mode.OFFERING_EDIT: self.resolve_edit_offer,
            Mode.CONFIRMING_PLAN: self.resolve_plan,
            Mode.OFFERING_PREVIOUS: self.resolve_previous,
        }[mode](chosen)

    def asking_confirmation(self, lines: list[str]) -> None:
        """Add the question of the confirmation open now."""
        mode, lang = self.s.mode, self.lang
        if mode is Mode.CONFIRMING_CANCEL:
            lines.append(texts.CANCEL_ASK.get(lang))
        elif mode is Mode.CONFIRMING_RESTART:
            lines.append(texts.RESTART_ASK.get(lang))
        elif mode is Mode.OFFERING_RESUME:
            lines.append(texts.RESUME_ASK.fill(lang, where=self.core.where()))
        elif mode is Mode.OFFERING_EDIT:
            q = self.core.question(self.s.history[-1]) if self.s.history else None
            label = q.label.get(lang) if q else ""
            lines.append(texts.EDIT_OFFER.fill(lang, label=label, text=self.s.pending_text or ""))
        elif mode is Mode.CONFIRMING_PLAN:
            day = notices.day(dt.date.fromisoformat(self.s.pending_text or ""), lang)
            lines.append(texts.FUTURE_DATE.fill(lang, date=day))
        elif mode is Mode.OFFERING_PREVIOUS:
            lines.append(texts.REUSE_ASK.get(lang))
            lines += reuse_lines(self.s.reuse or {}, self.spec, lang)
            lines.append(texts.REUSE_AFTER.get(lang))

    def resolve_cancel(self, chosen: str) -> None:
        if chosen == "keep":
            switch(self.s, "pause")
            self.core.effects.append(Cancel(delete=False))
            self.core.say(texts.CANCELLED)
        elif chosen == "delete":
            self.core.s = InterviewState(lang=self.lang)
            self.core.effects.append(Cancel(delete=True))
            self.core.say(texts.DELETED)
        else:
            switch(self.s, "settle")
            self.core.say(texts.GO_ON)
            self.core.ask()

    def resolve_restart(self, chosen: str) -> None:
        if chosen == "yes":
            self.reset()
        else:
            switch(self.s, "settle")
            self.core.say(texts.GO_ON)
            self.core.ask()

    def resolve_resume(self, chosen: str) -> None:
        self.core.effects.append(Resume())
        if chosen == "over" and self.s.answers:  # a stray "2" clears nothing unasked
            self.core.open_aside("ask_restart")
            return
        if chosen == "over":
            self.reset()
            return
        switch(self.s, "settle")
        self.core.say(texts.GO_ON)
        self.core.ask()

    def resolve_edit_offer(self, chosen: str) -> None:
        text, self.s.pending_text = self.s.pending_text, None
        switch(self.s, "settle")
        if chosen == "use" and text is not None and self.s.history:
            self.answering.reanswer(self.s.history[-1], text)
        else:
            self.core.say(texts.GO_ON)
            self.core.ask()

    def resolve_plan(self, chosen: str) -> None:
        planned, self.s.pending_text = self.s.pending_text, None
        switch(self.s, "settle")
        q = self.core.question()
        if chosen != "yes" or q is None or planned is None:
            self.core.ask()
            return
        self.s.answers["planned_online_date"] = planned
        planned_q = self.spec.by_key["planned_online_date"]
        self.core.record(planned_q)
        self.answering.store(q, None)  # not online yet: the deadline is dated from the planned day

    def asking_suggestions(self, lines: list[str]) -> list[Choice]:
        names = self.s.choices or []
        sep = "、" if self.lang == "zh" else ", "
        q = self.core.question()
        if q is not None:
            lines.append(self.core.progress(q))
            lines.append(q.prompt.get(self.lang))
        text = self.s.pending_text or ""
        lines.append(texts.SUGGEST_PLACES.fill(self.lang, text=text, names=sep.join(names)))
        return [Choice(f"{PLACE_PREFIX}{i}", name, i + 1) for i, name in enumerate(names)]

    def resolve_suggestion(self, inp: Input) -> None:
        """A suggested place (its button or number) is the answer; anything else typed is
        read as a new answer."""
        names = self.s.choices or []
        chosen = inp.choice
        word = (inp.text or "").strip()
        if chosen is None and word.isdigit() and 1 <= int(word) <= len(names):
            chosen = f"{PLACE_PREFIX}{int(word) - 1}"
        index = chosen[len(PLACE_PREFIX) :] if chosen and chosen.startswith(PLACE_PREFIX) else ""
        if chosen is not None and not (index.isdigit() and int(index) < len(names)):
            self.core.say(texts.CHOICE_AGAIN)
            self.core.ask()
            return
        self.s.choices = self.s.pending_text = None
        switch(self.s, "settle")
        self.answering.answer(Input.typed(names[int(index)] if index else word))

    def resolve_previous(self, chosen: str) -> None:
        """The last filing's unit and people: taken (what is not answered yet), or not."""
        reuse, self.s.reuse = self.s.reuse or {}, None
        switch(self.s, "settle")
        if chosen == "reuse":
            for key, value in reuse.items():
                self.s.answers.setdefault(key, value)
            self.core.say(texts.REUSED)
        self.core.advance(self.spec.by_key["subject_type"])

    def reset(self) -> None:
        lang = self.lang
        move(self.s, "restart")
        switch(self.s, "reset")
        self.core.s = InterviewState(lang=lang, asked=self.s.asked)
        self.core.welcome()
