"""Asking: how the question the interview waits for is put (progress “第3/7步 · 网站信息”,
prompt, hints, buttons with ✅ ticks, the current answer to keep), the summary, and the asides
that the other collaborators register on the core."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from dialogs import texts
from dialogs import texts_reopened as reopened
from dialogs.matching import match_option
from dialogs.model import Choice, Input, Mode, Stage
from dialogs.review import show_value, summary_lines
from dialogs.spec import Kind, Option, Question
from rules.security import suggestion
from rules.text import Text

if TYPE_CHECKING:
    from dialogs.turn import Core

KEEP, SKIP, DONE = "_keep", "_skip", "_done"
CONFIRM, SECTION_PREFIX, BACK_TO_SUMMARY = "confirm", "section:", "_summary"


class AsideOwner(Protocol):
    """A collaborator that opens asides (a confirmation, a choice of items…): it registers
    their modes on the core (`core.asides`), asks them and reads their answers."""

    def ask_aside(self, lines: list[str]) -> list[Choice]:
        """Add the question of the aside open now to `lines`; return its choices."""
        ...

    def resolve_aside(self, inp: Input) -> None:
        """Act on the answer to the aside open now."""
        ...


def picked(options: tuple[Option, ...], inp: Input) -> str | None:
    """Return the option an input picks: its button, or its words matched strictly (a near
    guess could delete data); None when it picks none."""
    chosen = inp.choice
    if chosen is None and inp.text is not None:
        option = match_option(inp.text, options, strict=True)
        chosen = option.id if option else None
    return chosen if chosen in {o.id for o in options} else None


def picked_or_asked(core: Core, options: tuple[Option, ...], inp: Input) -> str | None:
    """Return the option an input picks; when it picks none, say so and ask again (None)."""
    chosen = picked(options, inp)
    if chosen is None:
        core.say(texts.CHOICE_AGAIN)
        core.ask()
    return chosen


class Asking:
    """Put into lines and choices whatever the interview waits for."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def asking(self, lines: list[str]) -> list[Choice]:
        """Add what is asked to `lines`; return the choices that answer it."""
        core = self.core
        s, lang = core.s, core.lang
        if s.mode is not Mode.ANSWERING and s.mode is not Mode.COLLECTING:
            owner = core.asides.get(s.mode)
            return owner.ask_aside(lines) if owner is not None else []  # paused: nothing
        if s.state is Stage.SUMMARY:
            return self.asking_summary(lines)
        if s.state is Stage.OUT_OF_SCOPE and (s.changing_from is not None or s.amending):
            close = reopened.close_named(core.ctx.close_site)  # the whole site moved away
            lines.append(reopened.OUT_OF_SCOPE_CHANGING.fill(lang, close=close.get(lang)))
            return []
        if s.state is Stage.OUT_OF_SCOPE:
            lines.append(texts.OUT_OF_SCOPE_AGAIN.get(lang))
            return []
        if s.state is Stage.DONE:
            lines.append(texts.DONE_ASK.get(lang))
            return []
        q = core.question()
        if q is None:
            return []
        lines.append(core.progress(q))
        lines.append(q.prompt.get(lang))
        hint = self.photo_hint(q) if core.ctx.reads_photos else None
        if hint is not None:
            lines.append(hint.get(lang))
        if q.suggests:
            answers = s.answers
            found = suggestion(
                q.suggests, answers.get("subject_type"), answers.get("website.interactive")
            )
            lines += [f"{i}. {item.get(lang)}" for i, item in enumerate(found, 1)]
        return self.question_choices(q, lines)

    def question_choices(self, q: Question, lines: list[str]) -> list[Choice]:
        core = self.core
        s, lang, answers = core.s, core.lang, core.s.answers
        hints = [f"{o.label.get(lang)}：{o.hint.get(lang)}" for o in q.options if o.hint]
        lines += [h.replace("：", ": ") for h in hints] if lang == "en" else hints
        if q.id_type_key:  # an ID number: the document buttons change its type (numbered:
            current = answers.get(q.id_type_key) or "resident_id"  # typing "2" picks one)
            choices = [
                Choice(o.id, ("✅ " if o.id == current else "") + o.label.get(lang), i + 1)
                for i, o in enumerate(q.options)
            ]
        elif q.kind is Kind.MULTI_CHOICE:
            selected = set(s.collecting or ())
            choices = [
                Choice(o.id, ("✅ " if o.id in selected else "") + o.label.get(lang), i + 1)
                for i, o in enumerate(q.options)
            ]
        else:
            choices = core.choices(q.options)
        if s.mode is Mode.COLLECTING:
            collected = s.collecting or []
            shown = show_value(q, collected, lang, answers) if collected else None
            if q.kind is Kind.MULTI_CHOICE:
                template = texts.SELECTED if core.ctx.buttons else texts.SELECTED_TYPED
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
        if q.optional and s.mode is not Mode.COLLECTING:
            choices.append(Choice(SKIP, texts.SKIP.get(lang)))
        return choices

    def asking_summary(self, lines: list[str]) -> list[Choice]:
        lang = self.core.lang
        lines.append(texts.SUMMARY_HEAD.get(lang))
        lines += summary_lines(self.core.s.answers, self.core.spec, lang)
        undrawable = self.undrawable()
        if undrawable:
            lines.append(texts.UNDRAWABLE.fill(lang, chars=" ".join(undrawable)))
        lines.append(texts.SUMMARY_ASK.get(lang))
        choices = [Choice(CONFIRM, texts.CONFIRM.get(lang), 1)]
        choices += self.section_choices(numbered_from=2)
        return choices

    def section_choices(self, numbered_from: int | None = None) -> list[Choice]:
        """Return a choice for each section with an answer (numbered from `numbered_from`)."""
        core = self.core
        answered = {q.stage for q in core.spec.questions if q.key in core.s.answers}
        sections = [(stage, label) for stage, label in core.spec.stages if stage in answered]
        return [
            Choice(
                SECTION_PREFIX + stage.value,
                texts.SECTION.fill(core.lang, section=label.get(core.lang)),
                numbered_from + i if numbered_from is not None else i + 1,
            )
            for i, (stage, label) in enumerate(sections)
        ]

    def undrawable(self) -> list[str]:
        """Return characters of the answers that no font of the PDFs can draw."""
        if self.core.ctx.undrawable is None:
            return []
        strings: list[str] = []
        for value in self.core.s.answers.values():
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, list):
                strings += [v for v in value if isinstance(v, str)]
        return self.core.ctx.undrawable(strings)

    def photo_hint(self, q: Question) -> Text | None:
        """Say what photo fills `q` (this install reads photos), or None."""
        from dialogs.photos import photo_hint  # photos.py registers an aside: it needs us

        core = self.core
        id_type = core.s.answers.get(q.id_type_key) if q.id_type_key else None
        return photo_hint(q, core.subject_type, id_type, sent=core.ctx.buttons)
