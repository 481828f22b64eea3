"""One turn's shared core: the state, the context, what is said, and how the interview moves.

Every collaborator of a turn (asking.py, answering.py, editing.py, photos.py, asides.py,
commands.py, changing.py) holds this `Core` and nothing else of the turn; one that needs
another is handed it by name (engine.py composes them). A `Core(state, ctx)` alone asks
questions and the summary, so each collaborator can be driven without the engine.

The flow has one rule: after an answer the interview asks the first question that applies and
has no answer yet, in the order of questions.yaml (after the one just answered, else from the
top); when there is none, it shows the summary. So /back, /edit and a fix the checks ask for
all come back where the applicant was, and a changed answer that makes a new question apply
asks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain

from dialogs import texts
from dialogs.asking import AsideOwner, Asking
from dialogs.machine import move, switch
from dialogs.model import (
    DATA_STAGES,
    Choice,
    Context,
    Effect,
    Input,
    InterviewState,
    Mode,
    Reply,
    Stage,
    Step,
)
from dialogs.nesting import build, question_for
from dialogs.spec import Option, Question, Spec, load_spec
from rules.consistency import contradictions
from rules.text import Lang, Text, t

OTHER_STAGE_LABELS: dict[Stage, Text] = {
    Stage.SUMMARY: t("核对信息", "Checking the answers"),
    Stage.OUT_OF_SCOPE: t("不属于本市受理范围", "Not this city's case"),
    Stage.WELCOME: t("开始", "Start"),
    Stage.DONE: t("已完成", "Done"),
}


def spec_for(ctx: Context) -> Spec:
    """Return the interview for the context's city (cached by the pack's values)."""
    pack = ctx.pack
    types = tuple(s.value for s in pack.subject_types)
    return load_spec(pack.city.zh, pack.city.en, types)


class Core:
    """Hold one turn's state and output; ask, and move between questions."""

    def __init__(self, state: InterviewState, ctx: Context) -> None:
        self.s = state
        self.ctx = ctx
        self.spec = spec_for(ctx)
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []
        self.stale = False
        self.ref: str | None = None  # the message the answer being handled came in
        self.in_place = False  # the next asking replaces the pressed message (a toggle)
        self.asides: dict[Mode, AsideOwner] = {}  # each mode's owner registers itself

    @property
    def asking(self) -> Asking:
        """Return how this turn asks (made when needed: it holds nothing of its own)."""
        return Asking(self)

    def register(self, owner: AsideOwner, modes: tuple[Mode, ...]) -> None:
        """Let `owner` ask and answer the asides of `modes`."""
        self.asides.update(dict.fromkeys(modes, owner))

    # --- output --------------------------------------------------------------------------

    @property
    def lang(self) -> Lang:
        return self.s.lang

    def say(self, text: Text | str) -> None:
        self.replies.append(Reply(text if isinstance(text, str) else text.get(self.lang)))

    def step(self) -> Step:
        return Step(self.s, tuple(self.replies), tuple(self.effects), self.stale)

    def choices(self, options: tuple[Option, ...], numbered: bool = True) -> list[Choice]:
        return [
            Choice(o.id, o.label.get(self.lang), i + 1 if numbered else None)
            for i, o in enumerate(options)
        ]

    def ask(self, prefix: list[str] | None = None) -> None:
        """Ask whatever the interview waits for, with its choices."""
        if not self.in_place:
            self.s.asked += 1
        lines = list(prefix or [])
        choices = self.asking.asking(lines)
        in_place, self.in_place = self.in_place, False
        self.replies.append(Reply("\n".join(lines), tuple(choices), str(self.s.asked), in_place))

    # --- questions -----------------------------------------------------------------------

    @property
    def subject_type(self) -> str | None:
        value = self.s.answers.get("subject_type")
        return str(value) if value is not None else None

    def question(self, qid: str | None = None) -> Question | None:
        """Return a question as worded for this subject type (the current one by default)."""
        found = self.spec.by_id.get(qid or self.s.question or "")
        return self.spec.worded(found, self.subject_type) if found else None

    def missing(self, questions: Iterable[Question] | None = None) -> Iterator[Question]:
        """Yield the questions (of `questions`, else all) that apply and have no answer, in
        order."""
        answers = self.s.answers
        for q in self.spec.questions if questions is None else questions:
            if q.key not in answers and q.applies(answers):
                yield q

    def next_question(self, after: Question | None) -> Question | None:
        """Return the first unanswered question after `after` (else from the top)."""
        questions = self.spec.questions
        start = 0 if after is None else self.spec.position[after.id] + 1
        return next(self.missing(chain(questions[start:], questions[:start])), None)

    def record(self, q: Question) -> None:
        """Note `q` as answered, for /back."""
        if not self.s.history or self.s.history[-1] != q.id:
            self.s.history.append(q.id)

    def progress(self, q: Question) -> str:
        k = DATA_STAGES.index(q.stage) + 1
        label = self.spec.stage_labels[q.stage].get(self.lang)
        return texts.PROGRESS.fill(self.lang, k=k, n=len(DATA_STAGES), section=label)

    def stage_label(self) -> str:
        label = self.spec.stage_labels.get(self.s.state) or OTHER_STAGE_LABELS[self.s.state]
        return label.get(self.lang)

    def where(self) -> str:
        """Name where the interview is: the question's label, or the stage's."""
        q = self.question()
        if self.s.state in DATA_STAGES and q is not None:
            return q.label.get(self.lang)
        return self.stage_label()

    # --- moving --------------------------------------------------------------------------

    def go_to(self, q: Question) -> None:
        """Move the stage machine to the question's stage and make it the current one."""
        here = self.s.state
        if here in DATA_STAGES and DATA_STAGES.index(q.stage) > DATA_STAGES.index(here):
            while self.s.state is not q.stage:
                move(self.s, "next", out_of_scope=False)
        elif self.s.state is not q.stage or here in DATA_STAGES:
            move(self.s, "revisit", target=q.stage)
        self.s.question = q.id

    def to_summary_stage(self) -> None:
        if self.s.state in DATA_STAGES:
            move(self.s, "review")
        self.s.question = None

    def settle(self) -> None:
        """Leave an aside: back to answering (no-op when already answering)."""
        if self.s.mode is not Mode.ANSWERING:
            switch(self.s, "settle")

    def open_aside(self, trigger: str) -> None:
        """Open an aside (a list being gathered is dropped) and ask it."""
        if self.s.mode is Mode.COLLECTING:
            self.s.collecting = None
        switch(self.s, trigger)
        self.ask()

    def resolve(self, inp: Input) -> None:
        """Hand an input to the owner of the aside open now."""
        self.asides[self.s.mode].resolve_aside(inp)

    def leave_aside(self) -> None:
        """A command typed during an aside ends it (the question stays where it was)."""
        self.s.choices = self.s.pending_text = None
        if self.s.mode in (Mode.CHANGING_LIST, Mode.REMOVING_ITEMS):
            self.s.collecting = None
        switch(self.s, "settle")

    def welcome(self) -> None:
        move(self.s, "start")
        first = self.next_question(None)
        assert first is not None
        self.s.question = first.id
        self.say(texts.WELCOME)
        self.ask()

    def advance(self, after: Question | None) -> None:
        """Ask the next unanswered question after `after`; none left: the summary."""
        nxt = self.next_question(after)
        if nxt is None:
            self.arrive_at_summary()
            return
        self.go_to(nxt)
        self.ask()

    def arrive_at_summary(self) -> None:
        """Check the answers as a whole; show the summary, or send to what must be fixed."""
        answers, problems = build(self.s.answers, self.spec)
        if answers is not None:
            problems = contradictions(answers, self.ctx.pack)
            head = texts.CONTRADICTION
        else:
            head = texts.SUMMARY_PROBLEMS
        for problem in problems:
            target = question_for(problem.field, self.spec, self.s.answers)
            if target is None:
                continue
            lines = [head.get(self.lang), problem.message.get(self.lang)]
            self.say("\n".join(lines))
            self.go_to(target)
            self.ask()
            return
        if problems:  # nothing to send the applicant to: show them all at the summary
            self.say(
                "\n".join([head.get(self.lang), *(p.message.get(self.lang) for p in problems)])
            )
        self.to_summary_stage()
        self.ask()


class Part:
    """A collaborator of the turn: it reaches the turn's state only through its `core`."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.ctx: Context = core.ctx  # the same for the whole turn
        self.spec: Spec = core.spec

    @property
    def s(self) -> InterviewState:
        return self.core.s  # a new interview may replace it during the turn

    @property
    def lang(self) -> Lang:
        return self.core.lang
