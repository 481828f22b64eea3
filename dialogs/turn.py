"""One turn's working state: what it says, how it asks, and how it moves between questions.

The flow has one rule: after an answer the interview asks the first question that applies and
has no answer yet, in the order of questions.yaml (after the one just answered, else from the
top); when there is none, it shows the summary. So /back, /edit and a fix the checks ask for
all come back where the applicant was, and a changed answer that makes a new question apply
asks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

from dialogs import texts
from dialogs.machine import move, switch
from dialogs.model import (
    DATA_STAGES,
    Choice,
    Context,
    Effect,
    InterviewState,
    Mode,
    Reply,
    Stage,
    Step,
)
from dialogs.review import show_value, summary_lines
from dialogs.spec import Kind, Option, Question, Spec, load_spec
from rules.security import suggestion
from rules.text import Lang, Text, t

KEEP, SKIP, DONE = "_keep", "_skip", "_done"
CONFIRM, SECTION_PREFIX, BACK_TO_SUMMARY = "confirm", "section:", "_summary"
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


class TurnBase:
    """Accumulate replies and effects while one input is handled."""

    def __init__(self, state: InterviewState, ctx: Context) -> None:
        self.s = state
        self.ctx = ctx
        self.spec = spec_for(ctx)
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []
        self.stale = False
        self._ref: str | None = None  # the message the answer being handled came in
        self._in_place = False  # the next asking replaces the pressed message (a toggle)

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

    # --- asking --------------------------------------------------------------------------

    def progress(self, q: Question) -> str:
        k = DATA_STAGES.index(q.stage) + 1
        label = self.spec.stage_labels[q.stage].get(self.lang)
        return texts.PROGRESS.fill(self.lang, k=k, n=len(DATA_STAGES), section=label)

    def where(self) -> str:
        """Name where the interview is: the question's label, or the stage's."""
        q = self.question()
        if self.s.state in DATA_STAGES and q is not None:
            return q.label.get(self.lang)
        label = self.spec.stage_labels.get(self.s.state) or OTHER_STAGE_LABELS[self.s.state]
        return label.get(self.lang)

    def ask(self, prefix: list[str] | None = None) -> None:
        """Ask whatever the interview waits for, with its choices."""
        if not self._in_place:
            self.s.asked += 1
        lines = list(prefix or [])
        choices = self.asking(lines)
        in_place, self._in_place = self._in_place, False
        self.replies.append(Reply("\n".join(lines), tuple(choices), str(self.s.asked), in_place))

    def asking(self, lines: list[str]) -> list[Choice]:
        """Add what is asked to `lines`; return the choices that answer it."""
        mode = self.s.mode
        if mode is not Mode.ANSWERING and mode is not Mode.COLLECTING:
            return self.asking_aside(lines)
        stage = self.s.state
        if stage is Stage.SUMMARY:
            return self.asking_summary(lines)
        if stage is Stage.OUT_OF_SCOPE:
            lines.append(texts.OUT_OF_SCOPE_AGAIN.get(self.lang))
            return []
        if stage is Stage.DONE:
            lines.append(texts.DONE_ASK.get(self.lang))
            return []
        q = self.question()
        if q is None:
            return []
        lines.append(self.progress(q))
        lines.append(q.prompt.get(self.lang))
        hint = self.photo_hint(q) if self.ctx.reads_photos else None
        if hint is not None:
            lines.append(hint.get(self.lang))
        if q.suggests:
            answers = self.s.answers
            found = suggestion(
                q.suggests, answers.get("subject_type"), answers.get("website.interactive")
            )
            lines += [f"{i}. {item.get(self.lang)}" for i, item in enumerate(found, 1)]
        return self.question_choices(q, lines)

    def question_choices(self, q: Question, lines: list[str]) -> list[Choice]:
        lang, answers = self.lang, self.s.answers
        hints = [f"{o.label.get(lang)}：{o.hint.get(lang)}" for o in q.options if o.hint]
        lines += [h.replace("：", ": ") for h in hints] if lang == "en" else hints
        if q.id_type_key:  # an ID number: the document buttons change its type
            options = q.options
            current = answers.get(q.id_type_key) or "resident_id"
            choices = [
                Choice(o.id, ("✅ " if o.id == current else "") + o.label.get(lang))
                for o in options
            ]
        elif q.kind is Kind.MULTI_CHOICE:
            selected = set(self.s.collecting or ())
            choices = [
                Choice(o.id, ("✅ " if o.id in selected else "") + o.label.get(lang), i + 1)
                for i, o in enumerate(q.options)
            ]
        else:
            choices = self.choices(q.options)
        if self.s.mode is Mode.COLLECTING:
            collected = self.s.collecting or []
            shown = show_value(q, collected, lang, answers) if collected else None
            if q.kind is Kind.MULTI_CHOICE:
                template = texts.SELECTED if self.ctx.buttons else texts.SELECTED_TYPED
                if not shown:
                    template = texts.NOTHING_SELECTED
                lines.append(template.fill(lang, values=shown or ""))
            else:
                lines.append(texts.COLLECTED.fill(lang, values=shown or ""))
            choices.append(Choice(DONE, texts.DONE_ADDING.get(lang)))
        elif q.key in answers:
            shown = show_value(q, answers[q.key], lang, answers)
            lines.append(texts.CURRENT.fill(lang, value=shown))
            choices.append(Choice(KEEP, texts.KEEP.get(lang)))
        elif q.kind is Kind.MULTI_CHOICE:  # the same keyboard before and after the first tap
            choices.append(Choice(DONE, texts.DONE_ADDING.get(lang)))
        if q.optional and self.s.mode is not Mode.COLLECTING:
            choices.append(Choice(SKIP, texts.SKIP.get(lang)))
        return choices

    def asking_summary(self, lines: list[str]) -> list[Choice]:
        lang = self.lang
        lines.append(texts.SUMMARY_HEAD.get(lang))
        lines += summary_lines(self.s.answers, self.spec, lang)
        undrawable = self.undrawable()
        if undrawable:
            lines.append(texts.UNDRAWABLE.fill(lang, chars=" ".join(undrawable)))
        lines.append(texts.SUMMARY_ASK.get(lang))
        choices = [Choice(CONFIRM, texts.CONFIRM.get(lang), 1)]
        choices += self.section_choices(numbered_from=2)
        return choices

    def section_choices(self, numbered_from: int | None = None) -> list[Choice]:
        answered = {q.stage for q in self.spec.questions if q.key in self.s.answers}
        sections = [(stage, label) for stage, label in self.spec.stages if stage in answered]
        return [
            Choice(
                SECTION_PREFIX + stage.value,
                texts.SECTION.fill(self.lang, section=label.get(self.lang)),
                numbered_from + i if numbered_from is not None else i + 1,
            )
            for i, (stage, label) in enumerate(sections)
        ]

    def undrawable(self) -> list[str]:
        """Return characters of the answers that no font of the PDFs can draw."""
        if self.ctx.undrawable is None:
            return []
        strings: list[str] = []
        for value in self.s.answers.values():
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, list):
                strings += [v for v in value if isinstance(v, str)]
        return self.ctx.undrawable(strings)

    def asking_aside(self, lines: list[str]) -> list[Choice]:
        raise NotImplementedError  # the commands mixin asks its asides

    def photo_hint(self, q: Question) -> Text | None:
        """Say what photo fills `q` (this install reads photos), or None."""
        from dialogs.photos import photo_hint

        id_type = self.s.answers.get(q.id_type_key) if q.id_type_key else None
        return photo_hint(q, self.subject_type, id_type, sent=self.ctx.buttons)

    def answers_shown(self) -> dict[str, Any]:
        return self.s.answers
