"""One interview step: (state, input, context) → (new state, replies, effects). Pure and sync."""

from __future__ import annotations

import datetime as dt

from dialogs import texts
from dialogs import texts_reopened as reopened
from dialogs.answering import Answering
from dialogs.asides import Asides
from dialogs.asking import CONFIRM, SECTION_PREFIX
from dialogs.changing import Changing
from dialogs.commands import Command, CommandCall, Commands, read_command
from dialogs.editing import Editing
from dialogs.machine import move, switch
from dialogs.model import (
    DATA_STAGES,
    Context,
    Input,
    InterviewState,
    Mode,
    NewInterview,
    Resume,
    ShowFilings,
    Stage,
    Step,
    Submit,
)
from dialogs.nesting import build
from dialogs.notices import plan_text
from dialogs.photos import Photos
from dialogs.reuse import reusable
from dialogs.turn import Core
from rules.codes import check_psb_number
from rules.fields import broken_unicode
from rules.text import Lang

# During a change or an amendment these give it up (the confirmed answers come back); /start
# with an argument and /new then go on as they do once the interview is done. A bare /start
# goes on with the change: it is what a terminal sends when it is run again.
_GIVING_UP = (Command.CANCEL, Command.RESTART, Command.START, Command.NEW)
_SUMMARY_WORDS = {
    "confirm": (
        *("确认", "确认无误", "确认提交", "提交", "确定", "无误", "对", "是"),
        *("confirm", "ok", "yes"),
    ),
}


def begin(ctx: Context, lang: Lang = "zh") -> Step:
    """Start a new interview: the welcome and the first question."""
    turn = Turn(InterviewState(lang=lang), ctx)
    turn.core.welcome()
    return turn.core.step()


def handle(state: InterviewState, inp: Input, ctx: Context) -> Step:
    """Advance `state` by one input; never raises on anything a user can send."""
    turn = Turn(state.copy(), ctx)
    turn.dispatch(inp)
    return turn.core.step()


def asking(state: InterviewState) -> str:
    """Name the latest asking: buttons carry it, so a press on an older message is stale."""
    return str(state.asked)


class Turn:
    """The interview's response to one input: a shared core and the collaborators on it."""

    def __init__(self, state: InterviewState, ctx: Context) -> None:
        self.core = core = Core(state, ctx)
        self.answering = Answering(core)
        self.editing = Editing(core, self.answering)
        self.photos = Photos(core)
        self.asides = Asides(core, self.answering)
        self.changing = Changing(core)
        self.commands = Commands(core, self.answering, self.editing)

    @property
    def s(self) -> InterviewState:
        return self.core.s

    @property
    def lang(self) -> Lang:
        return self.core.lang

    def dispatch(self, inp: Input) -> None:
        if inp.question is not None and inp.question != asking(self.s):
            self.core.stale = True
            self.core.say(texts.STALE)
            self.core.ask()
            return
        if inp.text is not None and broken_unicode(inp.text):
            self.core.say(texts.BROKEN_TEXT)
            self.core.ask()
            return
        if inp.edited:
            self.edited(inp)
            return
        if inp.photo is not None:
            self.photos.photo(inp.photo)
            return
        if inp.text is None and inp.choice is None:  # a photo, sticker, file…: not an answer
            if self.s.state is Stage.WELCOME:
                self.core.welcome()
            else:
                self.core.ask([texts.PLEASE_ANSWER.get(self.lang)])
            return
        call = read_command(inp.text) if inp.text is not None else None
        if call is not None and call.command is Command.STATUS and self.s.state is Stage.DONE:
            self.core.effects.append(ShowFilings())  # the filings as they are, not the interview's
        elif call is not None and call.command in (Command.LANG, Command.HELP, Command.STATUS):
            self.commands.command(call)
        elif self.s.state is Stage.DONE:
            self.at_done(call, inp.since, inp.text, returned=inp.returned)
        elif self.s.state is Stage.WELCOME:
            self.core.welcome()
        elif self.s.mode is Mode.PAUSED:
            switch(self.s, "wake")
            self.core.ask()
        elif call is not None and self.reopened and call.command in _GIVING_UP:
            self.reopened_call(call)
        elif self.s.mode in self.core.asides:
            if call is not None:
                self.core.leave_aside()
                self.commands.command(call)
            else:
                self.core.resolve(inp)
        elif call is not None:
            self.commands.command(call)
        elif self.s.state is Stage.SUMMARY:
            self.summary_choice(inp)
        elif self.s.state is Stage.OUT_OF_SCOPE:
            self.core.ask()
        else:
            self.core.ref = inp.ref if inp.choice is None else None
            self.answering.answer(inp)

    def reopened_call(self, call: CommandCall) -> None:
        """A command that would leave a change or an amendment: a bare /start (a terminal's
        next run, a tap to wake the bot) goes on with it, its edits kept; the others give it
        up, and /start with an argument and /new then go on as once the interview is done."""
        if call.command is Command.START and not call.argument:
            kept = reopened.REOPENED_KEPT_AMEND if self.s.amending else reopened.REOPENED_KEPT
            self.core.say(kept)
            self.core.ask()
            return
        self.changing.give_up_change()  # nothing changes; the interview is done again
        if call.command in (Command.START, Command.NEW):
            self.at_done(call, None)

    def at_done(
        self,
        call: CommandCall | None,
        since: dt.date | None,
        text: str | None = None,
        *,
        returned: bool | None = None,
    ) -> None:
        """Once done: /amend, /change (dated no earlier than `since`), /start (the filings),
        /new; anything else: the filing's status as it is now (the channel shows it) — a
        公安备案号 typed on its own is said not to be recorded."""
        if call is not None and call.command is Command.AMEND:
            move(self.s, "amend")
            self.s.amending = True
            self.s.changing_from = dict(self.s.answers)
            self.core.effects.append(Resume())
            self.core.say(reopened.amending(returned, buttons=self.core.ctx.buttons))
            self.core.arrive_at_summary()
        elif call is not None and call.command is Command.CHANGE:
            self.core.effects.append(Resume())
            self.changing.begin_change(since)
        elif call is not None and call.command is Command.START and not call.argument:
            self.core.effects.append(ShowFilings())  # the filings, then how to begin another
            self.core.say(texts.YOUR_FILINGS)
        elif call is not None and call.command in (Command.START, Command.NEW, Command.RESTART):
            self.core.s = InterviewState(
                lang=self.lang, reuse=reusable(self.core.ctx.previous, self.core.spec)
            )
            self.core.welcome()
            self.core.effects.append(NewInterview())
        else:  # not "submitted": the filing may be only prepared; the channel tells which
            words = (text or "").split()
            if words and check_psb_number(words[0]).valid:
                self.core.say(texts.PSB_NOT_RECORDED)
            self.core.say(texts.ALREADY_DONE)
            self.core.effects.append(ShowFilings(newest_only=True))

    def edited(self, inp: Input) -> None:
        """An earlier message was edited: not an answer; offer it where it was the last one."""
        last = self.core.question(self.s.history[-1]) if self.s.history else None
        usable = (
            inp.ref is not None
            and inp.ref == self.s.last_ref
            and last is not None
            and self.s.mode in (Mode.ANSWERING, Mode.COLLECTING)
            and self.s.state in (*DATA_STAGES, Stage.SUMMARY)
        )
        if not usable:
            self.core.say(texts.EDITS_NOT_READ)
            self.core.ask()
            return
        if self.s.mode is Mode.COLLECTING:
            self.s.collecting = None
        switch(self.s, "offer_edit")
        self.s.pending_text = inp.text
        self.core.ask()

    def summary_choice(self, inp: Input) -> None:
        chosen = inp.choice
        if chosen is None and inp.text is not None:
            word = inp.text.strip().lower()
            sections = self.core.asking.section_choices(numbered_from=2)
            if word == "1" or word in _SUMMARY_WORDS["confirm"]:
                chosen = CONFIRM
            elif word.isdigit() and 2 <= int(word) < 2 + len(sections):
                chosen = sections[int(word) - 2].id
        if chosen == CONFIRM:
            self.confirm()
        elif chosen is not None and chosen.startswith(SECTION_PREFIX):
            stage = Stage(chosen[len(SECTION_PREFIX) :])
            items = [q.id for q in self.editing.answered_questions() if q.stage is stage]
            self.editing.choose(None, items, texts.EDIT_ITEM)
        elif inp.text is not None and self.editing.find_items(
            inp.text, self.editing.answered_questions()
        ):
            self.editing.edit(inp.text)  # "域名" at the summary: change that item
        else:
            self.core.say(texts.CHOICE_AGAIN)
            self.core.ask()

    @property
    def reopened(self) -> bool:
        """A confirmed filing's answers are open again (a change or an amendment)."""
        return self.s.changing_from is not None or self.s.amending

    def confirm(self) -> None:
        if self.changing.changing:
            self.changing.confirm_change_edits()
            return
        answers, _ = build(self.s.answers, self.core.spec)
        if answers is None:
            self.core.arrive_at_summary()  # sends the applicant to what must be fixed
            return
        move(self.s, "confirm")
        self.s.question = None
        amending, self.s.amending = self.s.amending, False
        before, self.s.changing_from = self.s.changing_from, None
        self.core.effects.append(
            Submit(answers, amends=amending, amend_before=before if amending else None)
        )
        if amending:  # the filing's plan goes on from its recorded dates (see /status)
            self.core.say(reopened.AMENDED)
            return
        self.core.say(texts.SUBMITTED)
        self.core.say(plan_text(answers, self.core.ctx, self.lang))
