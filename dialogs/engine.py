"""One interview step: (state, input, context) → (new state, replies, effects). Pure and sync."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dialogs import texts
from dialogs.machine import fire, route_of
from dialogs.model import (
    DATA_STAGES,
    Cancel,
    Choice,
    Context,
    Effect,
    Input,
    InterviewState,
    NewInterview,
    Reply,
    Resume,
    Stage,
    Step,
    Submit,
)
from dialogs.parse import (
    Command,
    CommandCall,
    match_option,
    read_answer,
    read_command,
    too_many,
)
from dialogs.questions import (
    CONTACT_OPTIONS,
    Kind,
    Option,
    Question,
    build_questions,
    individual_wording,
)
from dialogs.summary import STAGE_LABELS, applying, build, show_value, summary_lines
from rules.deadlines import filing_deadline
from rules.enums import SubjectType
from rules.fields import broken_unicode, fold
from rules.plan import date_text, estimate_notes, procedure_plan, weekday_text
from rules.text import Lang, Text, t

KEEP, SKIP, DONE = "_keep", "_skip", "_done"
_INDIVIDUAL = SubjectType.INDIVIDUAL.value
_KEEP_WORDS = {"保留", "保留原答案", "不变", "不改", "keep", "same"}
_DONE_WORDS = {"完成", "好了", "就这些", "没有了", "没了", "done", "finish", "that's all"}


@dataclass(frozen=True)
class _QuestionSet:
    questions: tuple[Question, ...]
    by_id: dict[str, Question]
    position: dict[str, int]  # question id -> its place in `questions`

    @classmethod
    def of(cls, questions: tuple[Question, ...]) -> _QuestionSet:
        return cls(
            questions,
            {q.id: q for q in questions},
            {q.id: i for i, q in enumerate(questions)},
        )


@lru_cache(maxsize=8)
def _question_sets(city_zh: str, city_en: str) -> tuple[_QuestionSet, _QuestionSet]:
    plain = build_questions(Text(zh=city_zh, en=city_en))
    individual = tuple(individual_wording(q) for q in plain)
    return _QuestionSet.of(plain), _QuestionSet.of(individual)


def _sets_for(ctx: Context) -> tuple[_QuestionSet, _QuestionSet]:
    # Cached by the city's strings: hashing the pydantic Text itself costs more than a step.
    return _question_sets(ctx.pack.city.zh, ctx.pack.city.en)


def begin(ctx: Context, lang: Lang = "zh") -> Step:
    """Start a new interview: the welcome and the first question."""
    turn = _Turn(InterviewState(lang=lang), ctx)
    turn.welcome()
    return turn.step()


def handle(state: InterviewState, inp: Input, ctx: Context) -> Step:
    """Advance `state` by one input; never raises on anything a user can send."""
    turn = _Turn(state.copy(), ctx)
    turn.dispatch(inp)
    return turn.step()


def asking(state: InterviewState) -> str:
    """Name the latest asking: buttons carry it, so a press on an older message is stale."""
    return str(state.asked)


def _pending_options(kind: str) -> tuple[Option, ...]:
    if kind == "cancel":
        return (
            Option("keep", texts.CANCEL_KEEP, ("确定", "是", "保留", "取消", "确定取消", "yes")),
            Option("delete", texts.CANCEL_DELETE, ("删除", "删除资料", "取消并删除", "delete")),
            Option(
                "no",
                texts.CANCEL_NO,
                ("不", "否", "继续", "继续填写", "不取消", "不要取消", "no", "go on"),
            ),
        )
    if kind == "restart":
        return (
            Option("yes", texts.RESTART_YES, ("确定", "是", "重新开始", "确定重新开始", "yes")),
            Option("no", texts.RESTART_NO, ("不", "否", "继续", "继续填写", "不要", "no", "go on")),
        )
    if kind == "use_edit":
        return (
            Option("use", texts.USE_EDIT, ("用新内容", "是", "对", "用", "yes", "use")),
            Option("ignore", texts.IGNORE_EDIT, ("不用", "否", "不", "no", "ignore")),
        )
    return (
        Option(
            "continue", texts.RESUME, ("继续", "接着", "继续填写", "接着填", "continue", "go on")
        ),
        Option("over", texts.START_OVER, ("重新开始", "重来", "从头开始", "start over")),
    )


_SUMMARY_OPTIONS = (
    Option("confirm", texts.CONFIRM, ("确认", "提交", "确定", "无误", "对", "是", "confirm", "ok")),
    Option("edit", texts.EDIT, ("修改", "编辑", "改", "edit", "change")),
)


class _Turn:
    """Accumulate replies and effects while one input is handled."""

    def __init__(self, state: InterviewState, ctx: Context) -> None:
        self.s = state
        self.ctx = ctx
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []
        self.stale = False
        self._sets = _sets_for(ctx)
        self._ref: str | None = None  # the message the answer being handled came in

    # --- output --------------------------------------------------------------------------

    @property
    def lang(self) -> Lang:
        return self.s.lang

    def say(self, text: Text | str) -> None:
        self.replies.append(Reply(text if isinstance(text, str) else text.get(self.lang)))

    def step(self) -> Step:
        return Step(self.s, tuple(self.replies), tuple(self.effects), self.stale)

    @property
    def qset(self) -> _QuestionSet:
        """The questions as worded for this subject (an individual's differ)."""
        return self._sets[self.s.answers.get("subject_type") == _INDIVIDUAL]

    @property
    def questions(self) -> tuple[Question, ...]:
        return self.qset.questions

    def question(self, qid: str | None = None) -> Question | None:
        qid = qid or self.s.question
        return self.qset.by_id.get(qid) if qid else None

    def options_of(self, q: Question) -> tuple[Option, ...]:
        if q.id == "contact_same" and self.s.answers.get("subject_type") == "individual":
            me = Option("responsible", t("本人", "Myself"), ("本人", "我", "自己", "me"))
            return (me, *CONTACT_OPTIONS[2:])
        return q.options

    def ask(self, prefix: list[str] | None = None) -> None:
        """Ask whatever the interview waits for, with its choices."""
        self.s.asked += 1
        lines = list(prefix or [])
        choices: list[Choice] = []
        if self.s.pending:
            lines.append(self._pending_prompt())
            options = self._pending_choice_options()
            choices = [Choice(o.id, o.label.get(self.lang), i + 1) for i, o in enumerate(options)]
        elif self.s.state is Stage.SUMMARY:
            lines += [texts.SUMMARY_HEAD.get(self.lang)]
            lines += summary_lines(self.s.answers, self.questions, self.lang)
            undrawable = self._undrawable()
            if undrawable:
                lines.append(texts.UNDRAWABLE.fill(self.lang, chars=" ".join(undrawable)))
            lines.append(texts.SUMMARY_ASK.get(self.lang))
            choices = [
                Choice(o.id, o.label.get(self.lang), i + 1) for i, o in enumerate(_SUMMARY_OPTIONS)
            ]
        elif self.s.state is Stage.OUT_OF_SCOPE:
            lines.append(texts.OUT_OF_SCOPE_AGAIN.get(self.lang))
        elif self.s.state is Stage.DONE:
            lines.append(texts.ALREADY_DONE.get(self.lang))
        else:
            q = self.question()
            if q is None:
                return
            lines.append(q.prompt.get(self.lang))
            choices = self._question_choices(q, lines)
        self.replies.append(Reply("\n".join(lines), tuple(choices), asking(self.s)))

    def _question_choices(self, q: Question, lines: list[str]) -> list[Choice]:
        options = self.options_of(q)
        choices = [Choice(o.id, o.label.get(self.lang), i + 1) for i, o in enumerate(options)]
        hints = [f"{o.label.get(self.lang)}：{o.hint.get(self.lang)}" for o in options if o.hint]
        if hints and self.lang == "en":
            hints = [h.replace("：", ": ") for h in hints]
        lines += hints
        answered = q.key in self.s.answers
        if self.s.collecting:
            shown = show_value(q, self.s.collecting, self.lang)
            lines.append(texts.COLLECTED.fill(self.lang, values=shown))
            choices.append(Choice(DONE, texts.DONE_ADDING.get(self.lang)))
        elif answered:
            shown = show_value(q, self.s.answers[q.key], self.lang)
            lines.append(texts.CURRENT.fill(self.lang, value=shown))
            choices.append(Choice(KEEP, texts.KEEP.get(self.lang)))
        if q.optional and not self.s.collecting:
            choices.append(Choice(SKIP, texts.SKIP.get(self.lang)))
        return choices

    def _undrawable(self) -> list[str]:
        """Return characters of the answers that no font of the PDFs can draw."""
        if self.ctx.undrawable is None:
            return []
        strings: list[str] = []
        for value in applying(self.s.answers, self.questions).values():
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, list):
                strings += [v for v in value if isinstance(v, str)]
        return self.ctx.undrawable(strings)

    def _pending_prompt(self) -> str:
        kind = self.s.pending
        if kind == "cancel":
            return texts.CANCEL_ASK.get(self.lang)
        if kind == "restart":
            return texts.RESTART_ASK.get(self.lang)
        if kind == "edit":
            return texts.EDIT_PICK.get(self.lang)
        if kind == "use_edit":
            q = self.question(self.s.history[-1]) if self.s.history else None
            label = q.label.get(self.lang) if q else ""
            return texts.EDIT_OFFER.fill(self.lang, label=label, text=self.s.pending_text or "")
        return texts.RESUME_ASK.fill(self.lang, where=self._where())

    def _pending_choice_options(self) -> tuple[Option, ...]:
        if self.s.pending == "edit":
            return self._editable()
        return _pending_options(self.s.pending or "")

    def _editable(self) -> tuple[Option, ...]:
        return tuple(
            Option(q.id, q.label, (q.key, q.id))
            for q in self.questions
            if q.key in self.s.answers and q.applies(self.s.answers)
        )

    def _where(self) -> str:
        q = self.question()
        if self.s.state in DATA_STAGES and q is not None:
            return q.label.get(self.lang)
        label = STAGE_LABELS.get(self.s.state)
        return label.get(self.lang) if label else texts.SUMMARY_HEAD.get(self.lang)

    # --- dispatch ------------------------------------------------------------------------

    def dispatch(self, inp: Input) -> None:
        if inp.question is not None and inp.question != asking(self.s):
            self.stale = True
            self.say(texts.STALE)
            self.ask()
            return
        if inp.text is not None and broken_unicode(inp.text):
            self.say(texts.BROKEN_TEXT)
            self.ask()
            return
        if inp.edited:
            self.edited(inp)
            return
        if inp.text is None and inp.choice is None:  # a photo, sticker, file…: not an answer
            if self.s.state is Stage.WELCOME:
                self.welcome()
            else:
                self.ask([texts.PLEASE_ANSWER.get(self.lang)])
            return
        call = read_command(inp.text) if inp.text is not None else None
        if call is not None and call.command in (Command.LANG, Command.HELP, Command.STATUS):
            self.command(call)
            return
        if self.s.state is Stage.DONE:
            if call is not None and call.command in (Command.START, Command.RESTART):
                self.s = InterviewState(lang=self.lang)
                self.welcome()
                self.effects.append(NewInterview())
            else:
                self.say(texts.ALREADY_DONE)
            return
        if self.s.state is Stage.WELCOME:
            self.welcome()
            return
        if self.s.pending:
            if call is not None:
                self.s.pending = None
                self.command(call)
                return
            self.resolve_pending(inp)
            return
        if self.s.paused:
            self.s.pending = "resume"
            self.ask()
            return
        if call is not None:
            self.command(call)
            return
        if self.s.state is Stage.SUMMARY:
            self.summary_choice(inp)
            return
        if self.s.state is Stage.OUT_OF_SCOPE:
            self.ask()
            return
        self._ref = inp.ref if inp.choice is None else None
        self.answer(inp)

    def edited(self, inp: Input) -> None:
        """An earlier message was edited: not an answer; offer it where it was the last one."""
        last = self.question(self.s.history[-1]) if self.s.history else None
        usable = (
            inp.ref is not None
            and inp.ref == self.s.last_ref
            and last is not None
            and not self.s.pending
            and not self.s.paused
            and self.s.state in (*DATA_STAGES, Stage.SUMMARY)
        )
        if not usable:
            self.say(texts.EDITS_NOT_READ)
            self.ask()
            return
        self.s.pending = "use_edit"
        self.s.pending_text = inp.text
        self.ask()

    def reanswer(self, qid: str, text: str) -> None:
        """Answer an earlier question again with `text`, then go on from where we were."""
        q = self.question(qid)
        if q is None:
            self.ask()
            return
        self.s.collecting = None
        self.s.editing = True
        fire(self.s, "revisit", ctx=self.ctx, target=q.stage)
        self.s.question = q.id
        self.answer(Input.typed(text))

    def welcome(self) -> None:
        fire(self.s, "start", ctx=self.ctx)
        self.s.question = "subject_type"
        self.say(texts.WELCOME)
        self.ask()

    # --- commands ------------------------------------------------------------------------

    def command(self, call: CommandCall) -> None:
        handlers = {
            Command.START: self.start,
            Command.BACK: self.back,
            Command.SKIP: self.skip,
            Command.CANCEL: self.cancel,
            Command.RESTART: self.restart,
            Command.STATUS: self.status,
            Command.HELP: self.help,
        }
        if call.command is Command.LANG:
            self.switch_language(call.argument)
        elif call.command is Command.EDIT:
            self.edit(call.argument)
        else:
            handlers[call.command]()

    def start(self) -> None:
        if self.s.answers:
            self.s.pending = "resume"
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
        if not self.s.pending and self.s.state in DATA_STAGES and q is not None:
            lines.append(q.help.get(self.lang))
            lines.append(texts.EXAMPLE.fill(self.lang, example=q.example))
        lines.append(texts.COMMANDS.get(self.lang))
        self.say("\n".join(lines))
        self.ask()

    def status(self) -> None:
        a = applying(self.s.answers, self.questions)
        stage = self.s.state
        k = DATA_STAGES.index(stage) + 1 if stage in DATA_STAGES else len(DATA_STAGES)
        label = STAGE_LABELS.get(stage)
        lines = [
            texts.STATUS.fill(
                self.lang,
                k=k,
                n=len(DATA_STAGES),
                stage=label.get(self.lang) if label else stage.value,
                answered=len(a),
            )
        ]
        route = route_of(a, self.ctx)
        if route is not None:
            lines.append(route.advice.get(self.lang))
        if a.get("connection_date"):
            deadline = filing_deadline(
                dt.date.fromisoformat(a["connection_date"]), self.ctx.pack, self.ctx.calendar
            )
            left = deadline.days_left(self.ctx.today)
            template = texts.STATUS_DEADLINE if left >= 0 else texts.STATUS_OVERDUE
            lines.append(template.fill(self.lang, due=self._date(deadline.due), days=abs(left)))
        self.say("\n".join(lines))
        self.ask()

    def back(self) -> None:
        self.s.collecting = None
        if self.s.editing and self.s.state is not Stage.SUMMARY and not self._missing():
            self.s.pending = None
            self._to_summary()
            return
        current = self.s.question if self.s.state in DATA_STAGES else None
        while self.s.history:
            qid = self.s.history.pop()
            q = self.question(qid)
            if q is not None and qid != current and q.applies(self.s.answers):
                self.s.editing = False
                self.go_to(q)
                return
        self.say(texts.FIRST_QUESTION)
        self.ask()

    def edit(self, argument: str) -> None:
        editable = self._editable()
        if not editable:
            self.say(texts.NOTHING_TO_EDIT)
            self.ask()
            return
        if not argument:
            self.s.pending = "edit"
            self.ask()
            return
        option = match_option(argument, editable)
        if option is None:
            known = next((q for q in self.questions if match_option(argument, (_opt(q),))), None)
            if known is not None and known.key not in self.s.answers:
                self.say(texts.EDIT_NOT_YET.format(name=known.label.get(self.lang)))
            else:
                sep = "、" if self.lang == "zh" else ", "
                names = sep.join(o.label.get(self.lang) for o in editable)
                self.say(texts.EDIT_UNKNOWN.format(name=argument, names=names))
            self.ask()
            return
        self.begin_edit(option.id)

    def begin_edit(self, qid: str) -> None:
        q = self.question(qid)
        if q is None:
            self.ask()
            return
        self.s.editing = True
        self.go_to(q)

    def skip(self) -> None:
        q = self.question()
        if self.s.state not in DATA_STAGES or q is None:
            self.ask()
            return
        if not q.optional:
            self.say(texts.NOT_OPTIONAL)
            self.ask()
            return
        self.store(q, [] if q.kind is Kind.MULTI else None)

    def cancel(self) -> None:
        self.s.pending = "cancel"
        self.ask()

    def restart(self) -> None:
        self.s.pending = "restart"
        self.ask()

    def resolve_pending(self, inp: Input) -> None:
        kind = self.s.pending
        options = self._pending_choice_options()
        chosen = inp.choice if inp.choice is not None else None
        if chosen is None and inp.text is not None:
            # A confirmation may delete data: only a clear answer counts, never a near guess.
            option = match_option(inp.text, options, strict=kind != "edit")
            chosen = option.id if option else None
        if chosen not in {o.id for o in options}:
            self.say(texts.CHOICE_AGAIN)
            self.ask()
            return
        self.s.pending = None
        if kind == "edit":
            assert chosen is not None
            self.begin_edit(chosen)
        elif kind == "use_edit":
            text, self.s.pending_text = self.s.pending_text, None
            if chosen == "use" and text is not None and self.s.history:
                self.reanswer(self.s.history[-1], text)
            else:
                self.say(texts.GO_ON)
                self.ask()
        elif kind == "cancel":
            self.resolve_cancel(chosen)
        elif kind == "restart":
            if chosen == "yes":
                self.reset()
            else:
                self.say(texts.GO_ON)
                self.ask()
        else:  # resume
            self.s.paused = False
            self.effects.append(Resume())
            if chosen == "over":
                self.reset()
            else:
                self.say(texts.GO_ON)
                self.ask()

    def resolve_cancel(self, chosen: str | None) -> None:
        if chosen == "keep":
            self.s.paused = True
            self.effects.append(Cancel(delete=False))
            self.say(texts.CANCELLED)
        elif chosen == "delete":
            self.s = InterviewState(lang=self.lang)
            self.effects.append(Cancel(delete=True))
            self.say(texts.DELETED)
        else:
            self.say(texts.GO_ON)
            self.ask()

    def reset(self) -> None:
        lang = self.lang
        fire(self.s, "restart", ctx=self.ctx)
        self.s.answers, self.s.history, self.s.question = {}, [], None
        self.s.pending, self.s.editing, self.s.collecting, self.s.paused = None, False, None, False
        self.s.lang = lang
        self.welcome()

    # --- answers -------------------------------------------------------------------------

    def answer(self, inp: Input) -> None:
        q = self.question()
        if q is None:  # a question removed in a newer version: carry on from its stage
            self.next_stage()
            return
        if inp.choice is not None:
            self.answer_choice(q, inp.choice)
            return
        text = inp.text or ""
        word = fold(text).lower().rstrip("。.!！")
        if word in _KEEP_WORDS and q.key in self.s.answers:
            self.keep(q)
            return
        if word in _DONE_WORDS and q.kind in (Kind.MULTI, Kind.MULTI_CHOICE):
            self.finish_collecting(q)
            return
        if q.kind in (Kind.CHOICE, Kind.YESNO, Kind.DATE) and self.options_of(q) is not q.options:
            option = match_option(text, self.options_of(q))
            parsed_value: Any = option.id if option else None
            if option is None:
                self.invalid(q, texts.CHOICE_AGAIN)
                return
            self.store(q, parsed_value, echo=option.label)
            return
        parsed = read_answer(text, q, self.s.answers, self.ctx.today)
        if not parsed.ok:
            assert parsed.error is not None
            self.invalid(q, parsed.error)
            return
        if q.kind in (Kind.MULTI, Kind.MULTI_CHOICE):
            values: list[str] = parsed.value
            merged = self._merged(values)
            if q.max_items is not None and len(merged) > q.max_items:
                self.invalid(q, too_many(q.max_items))
                return
            if len(values) == 1 and not (q.optional and not values):
                self.collect(q, values)
                return
            if not values:
                self.store(q, [])
                return
            self.store(q, merged)
            return
        echo = None
        if q.kind in (Kind.CHOICE, Kind.YESNO):
            value_id = "yes" if parsed.value is True else "no" if parsed.value is False else None
            option = next((o for o in q.options if o.id == (value_id or parsed.value)), None)
            echo = option.label if option else None
        self.store(q, parsed.value, echo=echo)

    def answer_choice(self, q: Question, choice: str) -> None:
        if choice == KEEP and q.key in self.s.answers:
            self.keep(q)
        elif choice == SKIP:
            self.skip()
        elif choice == DONE:
            self.finish_collecting(q)
        else:
            option = next((o for o in self.options_of(q) if o.id == choice), None)
            if option is None:
                self.invalid(q, texts.CHOICE_AGAIN)
            elif q.kind is Kind.MULTI_CHOICE:
                self.collect(q, [option.id])
            elif q.kind is Kind.YESNO:
                self.store(q, option.id == "yes")
            elif q.kind is Kind.DATE:
                self.store(q, None)
            else:
                self.store(q, option.id)

    def _merged(self, values: list[str]) -> list[str]:
        merged = list(self.s.collecting or [])
        merged += [v for v in values if v not in merged]
        return merged

    def collect(self, q: Question, values: list[str]) -> None:
        self.s.collecting = self._merged(values)
        self.ask()

    def finish_collecting(self, q: Question) -> None:
        if self.s.collecting:
            self.store(q, list(self.s.collecting))
        elif q.key in self.s.answers:
            self.keep(q)
        elif q.optional:
            self.store(q, [])
        else:
            self.invalid(q, texts.NEED_ONE)

    def invalid(self, q: Question, reason: Text) -> None:
        lines = [texts.INVALID.fill(self.lang, reason=reason.get(self.lang))]
        example = texts.EXAMPLE.fill(self.lang, example=q.example)
        lines.append(texts.TRY_AGAIN.fill(self.lang, example=example))
        self.ask(lines)

    def keep(self, q: Question) -> None:
        self.s.collecting = None
        self._record(q)
        self.after_answer(q)

    def store(self, q: Question, value: Any, echo: Text | None = None) -> None:
        old = self.s.answers.get(q.key, object())
        self.s.answers[q.key] = value
        self.s.collecting = None
        self.s.last_ref = self._ref  # an edit of this message may later be offered as the answer
        if echo is not None:
            self.say(texts.CHOSEN.fill(self.lang, label=echo.get(self.lang)))
        if q.id == "subject_type" and old != value:
            self._recheck_credential()
        self._record(q)
        self.after_answer(q)

    def _record(self, q: Question) -> None:
        if not self.s.history or self.s.history[-1] != q.id:
            self.s.history.append(q.id)

    def _recheck_credential(self) -> None:
        """A changed subject type may make the stored credential the wrong kind: ask again."""
        from dialogs.parse import check_credential

        number = self.s.answers.get("subject.credential_number")
        if number is None:
            return
        if not check_credential(number, self.s.answers.get("subject_type"), self.ctx.today).ok:
            del self.s.answers["subject.credential_number"]

    def after_answer(self, q: Question) -> None:
        if q.stage in (Stage.MAINTENANCE, Stage.SERVER) and self._routing_settled(q):
            self.verdict()
        if q.id == "connection_date":
            self.deadline_notice()
        self.advance(q)

    def _routing_settled(self, q: Question) -> bool:
        """Say whether this answer completes the routing questions (then the verdict shows)."""
        # route_of reads only the locations and, for "elsewhere", its city: answers whose
        # questions apply exactly then, so the raw answers route as the applying ones do.
        questions = self.questions
        if route_of(self.s.answers, self.ctx) is None:
            return False
        for later in questions[self.qset.position[q.id] + 1 :]:
            if later.stage not in (Stage.MAINTENANCE, Stage.SERVER):
                return True  # questions come grouped by stage, in stage order
            if self._needed(later):
                return False
        return True

    def verdict(self) -> None:
        route = route_of(self.s.answers, self.ctx)
        if route is None:
            return
        head = texts.ROUTE_HEAD if route.in_scope else texts.ROUTE_OUT
        lines = [head.get(self.lang)]
        lines += [f"{s.order}. {s.bureau.get(self.lang)}" for s in route.steps]
        lines.append(route.advice.get(self.lang))
        self.say("\n".join(lines))

    def _date(self, d: dt.date) -> str:
        return date_text(d).get(self.lang)

    def deadline_notice(self) -> None:
        pack, lang = self.ctx.pack, self.lang
        raw = self.s.answers.get("connection_date")
        lines = [texts.DEADLINE_HEAD.get(lang)]
        if raw is None:
            lines.append(texts.NOT_ONLINE_YET.fill(lang, days=pack.periods.filing.days))
            self.say("\n".join(lines))
            return
        deadline = filing_deadline(dt.date.fromisoformat(raw), pack, self.ctx.calendar)
        left = deadline.days_left(self.ctx.today)
        due = self._date(deadline.due)
        if left > 0:
            lines.append(
                texts.DEADLINE_LEFT.fill(
                    lang,
                    start=self._date(deadline.start),
                    due=due,
                    weekday=weekday_text(deadline.due).get(lang),
                    days=left,
                )
            )
        elif left == 0:
            lines.append(texts.DEADLINE_TODAY.fill(lang, start=self._date(deadline.start), due=due))
        else:
            penalty = pack.penalty("not_filing")
            lines.append(
                texts.OVERDUE.fill(
                    lang,
                    days=-left,
                    due=due,
                    basis=penalty.basis.get(lang),
                    penalty=penalty.text.get(lang),
                )
            )
        lines.append(deadline.rule.get(lang))
        note = deadline.estimate_note
        if note is not None:
            lines.append("⚠️ " + note.get(lang))
        self.say("\n".join(lines))

    # --- moving on -----------------------------------------------------------------------

    def _needed(self, q: Question) -> bool:
        if not q.applies(self.s.answers):
            return False
        return not self.s.editing or q.key not in self.s.answers

    def _missing(self) -> bool:
        return any(
            q.applies(self.s.answers) and q.key not in self.s.answers for q in self.questions
        )

    def advance(self, after: Question) -> None:
        questions = self.questions
        for later in questions[self.qset.position[after.id] + 1 :]:
            if later.stage is not after.stage:
                break
            if self._needed(later):
                self.s.question = later.id
                self.ask()
                return
        self.next_stage()

    def next_stage(self) -> None:
        for _ in range(len(DATA_STAGES) + 1):
            # `complete` only matters when editing (back to the summary when nothing is left).
            fire(self.s, "next", ctx=self.ctx, complete=self.s.editing and not self._missing())
            if self.s.state is Stage.SUMMARY:
                self._arrive_at_summary()
                return
            if self.s.state is Stage.OUT_OF_SCOPE:
                self.s.question, self.s.editing = None, False
                self.ask()
                return
            first = next(
                (q for q in self.questions if q.stage is self.s.state and self._needed(q)), None
            )
            if first is not None:
                self.s.question = first.id
                self.ask()
                return

    def _to_summary(self) -> None:
        fire(self.s, "next", ctx=self.ctx, complete=True)
        if self.s.state is Stage.SUMMARY:
            self._arrive_at_summary()
        else:
            self.ask()

    def _arrive_at_summary(self) -> None:
        self.s.question, self.s.editing = None, False
        self.ask()

    def go_to(self, q: Question) -> None:
        fire(self.s, "revisit", ctx=self.ctx, target=q.stage)
        self.s.question = q.id
        self.ask()

    # --- the summary ---------------------------------------------------------------------

    def summary_choice(self, inp: Input) -> None:
        chosen = inp.choice
        if chosen is None and inp.text is not None:
            option = match_option(inp.text, _SUMMARY_OPTIONS)
            chosen = option.id if option else None
        if chosen == "edit":
            self.s.pending = "edit"
            self.ask()
        elif chosen == "confirm":
            self.confirm()
        else:
            self.say(texts.CHOICE_AGAIN)
            self.ask()

    def confirm(self) -> None:
        answers, problems = build(self.s.answers, self.questions, self.lang)
        if answers is None:
            self.say("\n".join([texts.SUMMARY_PROBLEMS.get(self.lang), *problems]))
            target = self._question_for_problem(problems)
            if target is not None:
                self.begin_edit(target.id)
            else:
                self.ask()
            return
        fire(self.s, "confirm", ctx=self.ctx)
        self.s.question = None
        self.effects.append(Submit(answers))
        self.say(texts.SUBMITTED)
        self.say(self._plan_text(answers.connection_date))

    def _question_for_problem(self, problems: list[str]) -> Question | None:
        for line in problems:
            where = line.split(":", 1)[0].replace("subject.responsible.", "responsible.")
            for q in self.questions:
                if q.applies(self.s.answers) and (where == q.key or where.endswith("." + q.key)):
                    return q
        return None

    def _plan_text(self, connection_date: dt.date | None) -> str:
        lang = self.lang
        steps = procedure_plan(
            self.ctx.pack,
            self.ctx.calendar,
            connection_date=connection_date,
            submitted_on=self.ctx.today,
        )
        lines = [texts.NEXT_STEPS.get(lang)]
        for i, step in enumerate(steps, 1):
            flag = ("（估算）" if lang == "zh" else " (estimate)") if step.estimate else ""
            sep = "：" if lang == "zh" else ": "
            lines.append(f"{i}. {step.what.get(lang)}{sep}{step.when.get(lang)}{flag}")
        lines += [note.get(lang) for note in estimate_notes(steps)]
        lines.append(texts.REMEMBER.get(lang))
        return "\n".join(lines)


def _opt(q: Question) -> Option:
    return Option(q.id, q.label, (q.key, q.id))
