"""Editing: /edit finds the item (by label, section or synonym, asking when several
match), and a list is changed by adding, removing or replacing items."""

from __future__ import annotations

import re

from dialogs import texts
from dialogs.answering import Answering
from dialogs.asking import BACK_TO_SUMMARY, DONE, KEEP, SECTION_PREFIX, picked_or_asked
from dialogs.machine import switch
from dialogs.model import Choice, Input, Mode, Stage
from dialogs.nesting import derived_from
from dialogs.review import show_value
from dialogs.spec import Kind, Option, Question, normalize
from dialogs.turn import Core, Part
from rules.fields import fold
from rules.text import Text

# What to do with a list that has values (matched strictly, like every aside).
LIST_OPTIONS: tuple[Option, ...] = (
    Option("add", texts.LIST_ADD, ("添加", "增加", "加", "add")),
    Option("remove", texts.LIST_REMOVE, ("删除", "去掉", "remove", "delete")),
    Option("replace", texts.LIST_REPLACE, ("重新填写", "替换", "全部替换", "replace")),
    Option(KEEP, texts.KEEP, ("保留", "不变", "keep")),
)


class Editing(Part):
    """Find what to change, and change lists item by item."""

    MODES = (Mode.CHOOSING_ITEM, Mode.REMOVING_ITEMS, Mode.CHANGING_LIST)

    def __init__(self, core: Core, answering: Answering) -> None:
        super().__init__(core)
        self.answering = answering  # stores a list changed, or keeps it
        core.register(self, self.MODES)

    def ask_aside(self, lines: list[str]) -> list[Choice]:
        if self.s.mode is Mode.CHOOSING_ITEM:
            return self.asking_item(lines)
        if self.s.mode is Mode.REMOVING_ITEMS:
            return self.asking_removal(lines)
        self.asking_list_change(lines)
        return self.core.choices(LIST_OPTIONS)

    def resolve_aside(self, inp: Input) -> None:
        if self.s.mode is Mode.CHOOSING_ITEM:
            self.resolve_item(inp)
        elif self.s.mode is Mode.REMOVING_ITEMS:
            self.resolve_removal(inp)
        elif (chosen := picked_or_asked(self.core, LIST_OPTIONS, inp)) is not None:
            self.resolve_list_change(chosen)

    def answered_questions(self) -> list[Question]:
        answers = self.s.answers
        return [q for q in self.spec.questions if q.key in answers and q.applies(answers)]

    def edit(self, argument: str) -> None:
        answered = self.answered_questions()
        if not answered:
            self.core.say(texts.NOTHING_TO_EDIT)
            self.core.ask()
            return
        if not argument:
            self.choose(None, [SECTION_PREFIX + s.value for s in self._sections()], texts.EDIT_PICK)
            return
        if self.edit_derived(argument, answered):
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
            self.core.say(texts.EDIT_NOT_YET.format(name=later[0].label.get(self.lang)))
            self.core.ask()
            return
        self.core.say(texts.EDIT_UNKNOWN.format(name=argument[:40]))
        self.choose(None, [SECTION_PREFIX + s.value for s in self._sections()], texts.EDIT_PICK)

    def edit_derived(self, argument: str, answered: list[Question]) -> bool:
        """An item that is another person's ("the officer is the legal representative"): offer
        that person's item, or the choice that made them the same person."""
        if self.find_items(argument, answered, exact=True):
            return False
        for q in self.find_items(argument, list(self.spec.questions), exact=True):
            found = derived_from(q.key, self.spec, self.s.answers)
            if found is None:
                continue
            source, switch = found
            source_label = self.spec.worded(source, self.core.subject_type).label
            head = texts.EDIT_DERIVED.format(
                name=q.label.get(self.lang), source=source_label.get(self.lang)
            )
            self.choose(None, [source.id, switch.id], head)
            return True
        return False

    def _sections(self) -> list[Stage]:
        answered = {q.stage for q in self.answered_questions()}
        return [stage for stage, _ in self.spec.stages if stage in answered]

    def find_items(
        self, argument: str, among: list[Question], *, exact: bool = False
    ) -> list[Question]:
        """Return the items `argument` names: by label, key, alias, or its section's label
        (`exact`: by a whole name only)."""
        word = normalize(argument)
        spec, subject_type = self.spec, self.core.subject_type
        worded = [spec.worded(q, subject_type) for q in among]
        named = [q for q in worded if word in q.names or word == normalize(q.label.zh)]
        if named or exact:
            return named
        for stage, label in self.spec.stages:
            if word in (normalize(label.zh), normalize(label.en)):
                return [q for q in worded if q.stage is stage]
        # Partly: the word inside a name ("负责人姓名" in 安全负责人姓名), or a specific name
        # inside the word ("IP地址" in "IP地址错了"); a generic two-character name such as
        # 姓名 inside the word would make every person's name a match.
        return [
            q
            for q in worded
            if any(
                (word in name and len(name) >= 2) or (name in word and len(name) >= 3)
                for name in q.names
            )
        ]

    def choose(self, prefix: Text | None, candidates: list[str], head: Text) -> None:
        if self.s.mode is not Mode.CHOOSING_ITEM:
            if self.s.mode is Mode.COLLECTING:
                self.s.collecting = None
            switch(self.s, "choose_item")
        self.s.choices = candidates
        self.s.pending_text = head.get(self.lang)
        self.core.ask([prefix.get(self.lang)] if prefix else None)

    def begin_edit(self, q: Question) -> None:
        if self.s.mode is Mode.CHOOSING_ITEM:
            switch(self.s, "settle")
        self.s.choices = self.s.pending_text = None
        if q.kind in (Kind.MULTI, Kind.MULTI_CHOICE) and self.s.answers.get(q.key):
            self.core.go_to(q)
            switch(self.s, "change_list")
            self.core.ask()
            return
        self.core.go_to(q)
        self.core.ask()

    def asking_item(self, lines: list[str]) -> list[Choice]:
        lines.append(self.s.pending_text or texts.EDIT_ITEM.get(self.lang))
        return self.item_choices()

    def asking_removal(self, lines: list[str]) -> list[Choice]:
        lang = self.lang
        q = self.core.question()
        assert q is not None
        pick = texts.REMOVE_PICK if self.ctx.buttons else texts.REMOVE_TYPED
        lines.append(pick.get(lang))
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

    def asking_list_change(self, lines: list[str]) -> None:
        lang = self.lang
        q = self.core.question()
        assert q is not None
        shown = show_value(q, self.s.answers.get(q.key), lang, self.s.answers)
        lines.append(texts.LIST_MENU.fill(lang, label=q.label.get(lang), values=shown))

    def item_choices(self) -> list[Choice]:
        lang = self.lang
        choices = []
        for i, candidate in enumerate(self.s.choices or [], 1):
            if candidate.startswith(SECTION_PREFIX):
                stage = Stage(candidate[len(SECTION_PREFIX) :])
                label = self.spec.stage_labels[stage].get(lang)
            else:
                q = self.core.question(candidate)
                label = q.label.get(lang) if q else candidate
            choices.append(Choice(candidate, label, i))
        back = texts.BACK_TO_SUMMARY if self.s.state is Stage.SUMMARY else texts.GO_ON
        choices.append(Choice(BACK_TO_SUMMARY, back.get(lang)))
        return choices

    def resolve_item(self, inp: Input) -> None:
        candidates = self.s.choices or []
        chosen = inp.choice
        if chosen is None and inp.text is not None:
            chosen = self._named_item(inp.text, candidates)
        if chosen == BACK_TO_SUMMARY:
            switch(self.s, "settle")
            self.s.choices = self.s.pending_text = None
            self.core.say(texts.GO_ON)
            self.core.ask()
            return
        if chosen is None or chosen not in candidates:
            self.core.say(texts.CHOICE_AGAIN)
            self.core.ask()
            return
        if chosen.startswith(SECTION_PREFIX):
            stage = Stage(chosen[len(SECTION_PREFIX) :])
            items = [q.id for q in self.answered_questions() if q.stage is stage]
            self.s.choices = items
            self.s.pending_text = texts.EDIT_ITEM.get(self.lang)
            self.core.ask()
            return
        q = self.core.question(chosen)
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

    def resolve_list_change(self, chosen: str) -> None:
        q = self.core.question()
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
            self.answering.keep(q)
            return
        self.core.ask()

    def resolve_removal(self, inp: Input) -> None:
        q = self.core.question()
        assert q is not None
        values = self.s.choices or []
        marked = list(self.s.collecting or [])
        if inp.choice is not None and inp.choice != DONE:
            if inp.choice in marked:
                marked.remove(inp.choice)
            elif inp.choice.isdigit() and int(inp.choice) < len(values):
                marked.append(inp.choice)
            self.s.collecting = marked
            self.core.in_place = True
            self.core.ask()
            return
        if inp.text is not None and normalize(inp.text) not in ("完成", "done"):
            numbers = [p for p in re.split(r"\D+", fold(inp.text)) if p]
            marked = [str(int(n) - 1) for n in numbers if 0 < int(n) <= len(values)]
            if not marked:
                self.core.say(texts.CHOICE_AGAIN)
                self.core.ask()
                return
        kept = [v for i, v in enumerate(values) if str(i) not in marked]
        if not kept:
            self.s.collecting = []
            self.core.ask([texts.REMOVE_ALL.get(self.lang)])
            return
        switch(self.s, "settle")
        self.s.choices = None
        self.answering.store(q, kept, echo_list=True)
