"""A change (变更) of a certified filing in the interview: /change reopens the confirmed answers
at the summary; the applicant changes what changed (any item, several at once), then gives the
reason (and the date, today unless they write another) and confirms the diff (old → new).

The answers as they were when /change was sent are kept in the state (`changing_from`), so the
diff is the interview's own; /cancel during a change (or an amendment) gives it up and puts
those answers back. The confirmation's effect is `Submit(answers, change=...)`: the channel
records the change on the filing (bot.changes).
"""

from __future__ import annotations

import datetime as dt
import re

from dialogs import texts
from dialogs import texts_reopened as reopened
from dialogs.machine import move, switch
from dialogs.model import ChangeRequest, Choice, Finished, Input, Mode, Submit
from dialogs.nesting import build
from dialogs.review import change_lines
from dialogs.turn import Core, Part
from rules.changes import change_deadline, diff, flatten
from rules.dates import parse_date
from rules.names import check_plain_text
from rules.plan import date_text
from rules.text import Lang, Text, t

CHANGE_OK, CHANGE_MORE, CHANGE_DROP = "change:ok", "change:more", "change:drop"
REASON_PREFIX = "reason:"
# Common reasons, offered as buttons (anything else is typed).
REASONS: tuple[Text, ...] = (
    t("更换服务器", "New server"),
    t("更换负责人", "New responsible person"),
    t("变更联系方式", "New contact details"),
    t("网站改版或改名", "Site renamed or redesigned"),
    t("更换接入服务商", "New access provider"),
)


def reason_shown(reason: str, lang: Lang) -> str:
    """Write a change's reason in `lang`: a listed one is stored as the bureau reads it."""
    return next((r.get(lang) for r in REASONS if r.zh == reason), reason)


_CONFIRM_WORDS = ("确认", "确定", "是", "对", "confirm", "yes", "ok")
_MORE_WORDS = ("继续修改", "修改", "more", "edit")
_DROP_WORDS = ("放弃", "放弃变更", "不变更了", "drop")


# What a typed answer to the confirmation means: its words, its number, its button's label.
_CONFIRMATION_WORDS: dict[str, str] = {
    word.lower(): choice
    for choice, number, label, words in (
        (CHANGE_OK, "1", texts.CHANGE_OK, _CONFIRM_WORDS),
        (CHANGE_MORE, "2", texts.CHANGE_MORE, _MORE_WORDS),
        (CHANGE_DROP, "3", texts.CHANGE_DROP, _DROP_WORDS),
    )
    for word in (*words, number, label.zh, label.en)
}


# A date at the start of a reason: 2026-11-28, 2026/11/28, 2026年11月28日, 11月28日, 11/28,
# 今天, 昨天, 前天 (and 明天, 后天: refused as days to come) — with or without a space after.
_LEADING_DATE = re.compile(
    r"^\s*(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{1,2}\s*月\s*\d{1,2}\s*日"
    r"|\d{1,2}/\d{1,2}|今天|昨天|前天|明天|后天|today|yesterday|tomorrow)(?=\s|$|[^\d])",
    re.IGNORECASE,
)


def dated_reason(text: str, today: dt.date) -> tuple[dt.date, str] | Text:
    """Read `[date] reason` (a change's, a closure's): the date when the text starts with one
    (never a day to come), else today; the date alone is not a reason."""
    match = _LEADING_DATE.match(text)
    if match is None:
        return today, text.strip()
    parsed = parse_date(match.group(1).replace(" ", ""), today)
    if not isinstance(parsed, dt.date):
        return parsed  # 2026-02-30: why it is not a date
    rest = text[match.end() :].strip()
    if not rest:
        return texts.CHANGE_DATE_ONLY
    if parsed > today:
        return texts.CHANGE_IN_FUTURE
    return parsed, rest


# A reply to the 注销 prompt that says no (or is a command): nothing is cancelled.
_NOT_CANCELLING = {"取消", "不", "不要", "不注销", "不注销了", "算了", "否", "no", "cancel", "stop"}
CANCELLATION_KEPT = t(
    "好的，没有注销，备案保持不变。", "All right: nothing cancelled, the filing stays."
)


CLOSED_IN_FUTURE = t(
    "注销日期不能在将来：请写网站已经关闭的日期（日期可以不写，默认今天）。",
    "The closing date cannot be in the future: give the day the site closed (no date: today).",
)
CLOSED_DATE_ONLY = t(
    "请在日期后面写上注销原因，如：昨天 网站已关闭。",
    "Put the reason after the date, e.g. yesterday site closed.",
)


def read_cancellation(text: str, today: dt.date) -> tuple[dt.date, str] | Text:
    """Read a reply to the 注销 prompt: `[date] reason` (never a day to come), or why not."""
    words = text.strip().lower().rstrip("。.!！")
    if words in _NOT_CANCELLING or words.startswith(("/", "／")):
        return CANCELLATION_KEPT
    read = dated_reason(text, today)
    if isinstance(read, Text):  # a closure's words, not a change's
        return {texts.CHANGE_IN_FUTURE: CLOSED_IN_FUTURE,
                texts.CHANGE_DATE_ONLY: CLOSED_DATE_ONLY}.get(read, read)  # fmt: skip
    checked = check_plain_text(read[1], 500)
    if not checked.valid or not checked.normalized:
        return checked.error or CANCELLATION_KEPT
    return read[0], checked.normalized


class Changing(Part):
    """/change: reopen, diff, reason and date, confirm."""

    MODES = (Mode.CHANGE_REASON, Mode.CONFIRMING_CHANGE)

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        core.register(self, self.MODES)

    def ask_aside(self, lines: list[str]) -> list[Choice]:
        return self.asking_change(lines)

    def resolve_aside(self, inp: Input) -> None:
        if self.s.mode is Mode.CHANGE_REASON:
            self.resolve_change_reason(inp)
        else:
            self.resolve_change_confirmation(inp)

    def begin_change(self, since: dt.date | None = None) -> None:
        move(self.s, "amend")  # DONE → SUMMARY, the confirmed answers open again
        self.s.changing_from = dict(self.s.answers)
        self.s.change_on = self.s.change_reason = None
        self.s.change_since = since.isoformat() if since is not None else None
        self.core.say(texts.CHANGING)
        self.core.ask()

    @property
    def changing(self) -> bool:
        """A change is being made (an amendment keeps `changing_from` too, to give it up)."""
        return self.s.changing_from is not None and not self.s.amending

    def changes(self) -> list[str]:
        """The diff as lines (empty when nothing changed or the answers do not build yet)."""
        assert self.s.changing_from is not None
        before, _ = build(self.s.changing_from, self.spec)
        after, _ = build(self.s.answers, self.spec)
        if before is None or after is None:
            return []
        new = after.model_dump(mode="json")
        found = diff(before.model_dump(mode="json"), new)
        return change_lines(found, self.spec, flatten(new), self.lang)

    def confirm_change_edits(self) -> None:
        """The summary's confirmation during a change: on to the reason, when anything changed."""
        assert self.s.changing_from is not None
        if self.s.answers.get("subject_type") != self.s.changing_from.get("subject_type"):
            close = reopened.close_named(self.core.ctx.close_site)
            self.core.say(texts.CHANGE_SUBJECT_TYPE.fill(self.lang, close=close.get(self.lang)))
            self.core.ask()
            return
        lines = self.changes()
        if not lines:
            self.core.say(texts.NOTHING_CHANGED)
            self.core.ask()
            return
        switch(self.s, "ask_change_reason")
        self.core.ask()

    def asking_change(self, lines: list[str]) -> list[Choice]:
        lang = self.lang
        lines.append(texts.CHANGE_DIFF.get(lang))
        lines += self.changes()
        if self.s.mode is Mode.CHANGE_REASON:
            today = date_text(self.ctx.today).get(lang)
            lines.append(texts.CHANGE_REASON_ASK.fill(lang, today=today))
            return [
                Choice(f"{REASON_PREFIX}{i}", r.get(lang), i + 1) for i, r in enumerate(REASONS)
            ]
        on = dt.date.fromisoformat(self.s.change_on or self.ctx.today.isoformat())
        due = change_deadline(on, self.ctx.pack, self.ctx.calendar)
        lines.append(
            texts.CHANGE_CONFIRM_ASK.fill(
                lang,
                on=date_text(on).get(lang),
                reason=reason_shown(self.s.change_reason or "", lang),
                due=date_text(due.due).get(lang),
            )
        )
        return [
            Choice(CHANGE_OK, texts.CHANGE_OK.get(lang), 1),
            Choice(CHANGE_MORE, texts.CHANGE_MORE.get(lang), 2),
            Choice(CHANGE_DROP, texts.CHANGE_DROP.get(lang), 3),
        ]

    def resolve_change_reason(self, inp: Input) -> None:
        if inp.choice is not None and inp.choice.startswith(REASON_PREFIX):
            index = inp.choice[len(REASON_PREFIX) :]
            if not index.isdigit() or int(index) >= len(REASONS):
                self.core.say(texts.CHOICE_AGAIN)
                self.core.ask()
                return
            on, reason = self.ctx.today, REASONS[int(index)].zh
        elif (
            inp.text is not None
            and inp.text.strip().isdigit()
            and 1 <= int(inp.text.strip()) <= len(REASONS)
        ):
            on, reason = self.ctx.today, REASONS[int(inp.text.strip()) - 1].zh  # a listed one
        elif inp.text is not None:
            read = self.read_reason(inp.text)
            if isinstance(read, Text):
                self.core.say(read)
                self.core.ask()
                return
            on, reason = read
        else:
            self.core.say(texts.CHOICE_AGAIN)
            self.core.ask()
            return
        self.s.change_on, self.s.change_reason = on.isoformat(), reason
        switch(self.s, "confirm_change")
        self.core.ask()

    def read_reason(self, text: str) -> tuple[dt.date, str] | Text:
        """Read `[date] reason`: the date is today unless the message starts with one."""
        found = dated_reason(text, self.ctx.today)
        if isinstance(found, Text):
            return found
        on, text = found
        since = dt.date.fromisoformat(self.s.change_since) if self.s.change_since else None
        if since is not None and on < since:  # asked again; the edits stay
            return texts.CHANGE_BEFORE_CERTIFIED.format(since=date_text(since).get(self.lang))
        checked = check_plain_text(text, 500)
        if not checked.valid or not checked.normalized:
            return texts.CHANGE_REASON_EMPTY
        return on, checked.normalized

    def resolve_change_confirmation(self, inp: Input) -> None:
        chosen = inp.choice
        if chosen is None and inp.text is not None:
            word = inp.text.strip().lower()
            chosen = _CONFIRMATION_WORDS.get(word)
        if chosen == CHANGE_OK:
            self.submit_change()
        elif chosen == CHANGE_MORE:
            switch(self.s, "settle")
            self.s.change_on = self.s.change_reason = None
            self.core.ask()
        elif chosen == CHANGE_DROP:
            self.give_up_change()
        else:
            self.core.say(texts.CHOICE_AGAIN)
            self.core.ask()

    def submit_change(self) -> None:
        answers, _ = build(self.s.answers, self.spec)
        if answers is None:  # cannot happen after the summary's checks; ask again to be safe
            switch(self.s, "settle")
            self.core.arrive_at_summary()
            return
        on = dt.date.fromisoformat(self.s.change_on or self.ctx.today.isoformat())
        before, _ = build(self.s.changing_from or {}, self.spec)
        request = ChangeRequest(
            on=on,
            reason=self.s.change_reason or "",
            before=before,
            interview_before=dict(self.s.changing_from or {}),
        )
        switch(self.s, "settle")
        move(self.s, "confirm")
        self.s.question = None
        self.s.changing_from = self.s.change_on = self.s.change_reason = None
        self.s.change_since = None
        self.core.effects.append(Submit(answers, change=request))
        self.core.say(texts.CHANGE_RECORDED)

    def give_up_change(self) -> None:
        """Leave a change (or an amendment) unrecorded: the confirmed answers come back."""
        if self.s.mode is not Mode.ANSWERING:
            self.core.leave_aside()
        if self.s.changing_from is not None:
            self.s.answers = dict(self.s.changing_from)
        self.s.changing_from = self.s.change_on = self.s.change_reason = None
        self.s.change_since = None
        self.s.amending = False
        move(self.s, "abandon")
        self.s.question = None
        self.core.effects.append(Finished())
        self.core.say(texts.CHANGE_DROPPED)
