"""The interview's questions as data: `questions.yaml`, read once, checked, worded per city.

A `Spec` holds the stages (with their labels, for progress), the questions in the order they
are asked, and the derivations (schema fields filled from other answers). It is built for a
pack (the city's name goes into the location options; the pack's subject types are offered)
and cached by it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

from dialogs.model import Stage
from rules.answers import SERVICE_TYPES, Website, list_limit
from rules.enums import SubjectType
from rules.fields import fold
from rules.materials import SUBJECT_LABELS
from rules.text import Text

SPEC_FILE = Path(__file__).parent / "questions.yaml"
_IGNORED = re.compile(r"[\s。.,，!！?？:：;；\"'“”‘’()（）]")


def normalize(text: str) -> str:
    """Fold width and case and drop spaces and punctuation, for matching what people type."""
    return _IGNORED.sub("", fold(text)).lower()


class Kind(StrEnum):
    """How an answer is read."""

    CHOICE = "choice"  # one option
    YESNO = "yesno"  # 是/否, stored as a bool
    TEXT = "text"  # free text, optionally through a field check
    MULTI = "multi"  # several values, each through the check
    MULTI_CHOICE = "multi_choice"  # several options
    DATE = "date"  # a date, or one of the options ("not online yet")
    INTEGER = "integer"  # a count


@dataclass(frozen=True)
class Option:
    """A choice with the words people use for it."""

    id: str
    label: Text
    synonyms: tuple[str, ...] = ()
    hint: Text | None = None
    value: Any = None  # what the answers schema stores (None: the id)

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Every name the option answers to, normalized (computed once per option)."""
        words = (self.id, self.label.zh, self.label.en, *self.synonyms)
        return tuple(dict.fromkeys(normalize(word) for word in words if word))

    @cached_property
    def spoken(self) -> tuple[str, ...]:
        """The names people say (labels and synonyms, not the id), normalized."""
        words = (self.label.zh, self.label.en, *self.synonyms)
        return tuple(dict.fromkeys(normalize(word) for word in words if word))


# A condition on the answers: key → a value, a list of values, {"not": value}, or None for
# "answered, with no value" (the site is not online yet).
Condition = dict[str, Any]


def holds(condition: Condition, answers: dict[str, Any]) -> bool:
    """Say whether every part of `condition` holds for `answers`."""
    for key, wanted in condition.items():
        if wanted is None:
            if key not in answers or answers[key] is not None:
                return False
            continue
        value = answers.get(key)
        if isinstance(wanted, dict) and "not" in wanted:
            if key not in answers or value == wanted["not"]:
                return False
        elif isinstance(wanted, list):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


@dataclass(frozen=True)
class Question:
    """One question of the interview (see questions.yaml for what each field means)."""

    id: str
    stage: Stage
    key: str
    label: Text
    prompt: Text
    help: Text
    example: Text
    kind: Kind = Kind.TEXT
    check: str | None = None
    options: tuple[Option, ...] = ()
    optional: bool = False
    applies_when: Condition = field(default_factory=dict)
    max_length: int = 200
    max_items: int | None = None
    aliases: tuple[str, ...] = ()
    id_type_key: str | None = None  # where an ID number question's document type is kept
    gather: bool = True  # a list: one value starts gathering more (else it is the answer)
    suggests: str | None = None  # a suggestion (rules/security.py) listed under the prompt
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)

    def applies(self, answers: dict[str, Any]) -> bool:
        """Say whether the question is asked, given the answers so far."""
        return holds(self.applies_when, answers)

    @cached_property
    def names(self) -> tuple[str, ...]:
        """What /edit finds it by: its label, its key, its aliases (normalized)."""
        words = (self.id, self.key, self.label.zh, self.label.en, *self.aliases)
        return tuple(dict.fromkeys(normalize(w) for w in words if w))


@dataclass(frozen=True)
class Derivation:
    """Schema fields copied from other answers when a condition holds."""

    when: Condition
    copy: dict[str, str]  # target → source (a field, or a whole section such as a person)
    suggest: dict[str, str] = field(default_factory=dict)  # target → suggestion's name


@dataclass(frozen=True)
class Spec:
    """The interview for one city: stages, questions (in order), derivations."""

    stages: tuple[tuple[Stage, Text], ...]
    questions: tuple[Question, ...]
    derive: tuple[Derivation, ...]

    @cached_property
    def by_id(self) -> dict[str, Question]:
        """Return the questions by id."""
        return {q.id: q for q in self.questions}

    @cached_property
    def by_key(self) -> dict[str, Question]:
        """Return the questions by the key their answer goes under."""
        return {q.key: q for q in self.questions}

    @cached_property
    def position(self) -> dict[str, int]:
        """Return each question's place in the order asked."""
        return {q.id: i for i, q in enumerate(self.questions)}

    @cached_property
    def stage_labels(self) -> dict[Stage, Text]:
        """Return each stage's label."""
        return dict(self.stages)

    @cached_property
    def _wordings(self) -> dict[tuple[str, str], Question]:
        return {}

    def worded(self, question: Question, subject_type: str | None) -> Question:
        """Return the question as asked of this subject type (its variant, if it has one)."""
        if not question.variants.get(subject_type or ""):
            return question
        key = (question.id, subject_type or "")
        found = self._wordings.get(key)
        if found is None:
            found = self._wordings[key] = _worded(question, subject_type or "")
        return found


def _worded(question: Question, subject_type: str) -> Question:
    variant = question.variants[subject_type]
    changes: dict[str, Any] = {
        name: _text(variant[name])
        for name in ("label", "prompt", "help", "example")
        if name in variant
    }
    for name in ("check", "id_type_key", "options"):
        if name in variant:
            changes[name] = variant[name]
    if "option_labels" in variant or "option_synonyms" in variant:
        labels = variant.get("option_labels", {})
        synonyms = variant.get("option_synonyms", {})
        changes["options"] = tuple(
            replace(
                o,
                label=_text(labels[o.id]) if o.id in labels else o.label,
                synonyms=tuple(synonyms.get(o.id, o.synonyms)),
            )
            for o in question.options
        )
    return replace(question, **changes)


def _text(raw: Any, **fill: str) -> Text:
    if not isinstance(raw, dict) or set(raw) != {"zh", "en"}:
        raise ValueError(f"{SPEC_FILE.name}: expected {{zh, en}}, got {raw!r}")
    return Text(zh=str(raw["zh"]).format(**fill), en=str(raw["en"]).format(**fill))


def _subject_options(types: tuple[str, ...], raw: list[dict[str, Any]]) -> tuple[Option, ...]:
    extra: dict[str, dict[str, Any]] = {str(o["id"]): o for o in raw}
    options = []
    for value in types:
        subject = SubjectType(value)
        known = extra.get(value, {})
        options.append(
            Option(
                value,
                SUBJECT_LABELS[subject],
                tuple(known.get("synonyms", ())),
                _text(known["hint"]) if "hint" in known else None,
            )
        )
    return tuple(options)


@cache
def _raw() -> dict[str, Any]:
    loaded = yaml.load(SPEC_FILE.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    assert isinstance(loaded, dict)
    return loaded


@cache
def load_spec(city_zh: str, city_en: str, subject_types: tuple[str, ...]) -> Spec:
    """Build the interview for a city (cached: the arguments are the pack's)."""
    raw = _raw()
    fill = {"city": city_zh, "city_en": city_en}

    def options_of(spec: Any) -> tuple[Option, ...]:
        return _options(spec, raw["option_sets"], subject_types, fill)

    questions = tuple(_question(q, options_of, fill) for q in raw["questions"])
    stages = tuple((Stage(s["id"]), _text(s["label"])) for s in raw["stages"])
    derive = tuple(
        Derivation(dict(d["when"]), dict(d.get("copy", {})), dict(d.get("suggest", {})))
        for d in raw.get("derive", ())
    )
    spec = Spec(stages, questions, derive)
    _check(spec)
    return spec


def _options(
    spec: Any, sets: dict[str, Any], subject_types: tuple[str, ...], fill: dict[str, str]
) -> tuple[Option, ...]:
    """Return a question's options: a named set, the pack's subject types, or listed."""
    if not spec:
        return ()
    if spec == "subject_types":
        return _subject_options(subject_types, sets.get("subject_types", []))
    if spec == "service_types":
        return tuple(Option(k, v, value=v.zh) for k, v in SERVICE_TYPES.items())
    items = sets[spec] if isinstance(spec, str) else spec
    return tuple(
        Option(
            str(o["id"]),
            _text(o["label"], **fill),
            tuple(str(s).format(**fill) for s in o.get("synonyms", ())),
            _text(o["hint"], **fill) if "hint" in o else None,
            o.get("value"),
        )
        for o in items
    )


def _question(
    q: dict[str, Any], options_of: Callable[[Any], tuple[Option, ...]], fill: dict[str, str]
) -> Question:
    """Read one question of the YAML (its options and its variants' options resolved)."""
    kind = Kind(q.get("kind", "text"))
    key = q["key"]
    max_items = None
    if kind in (Kind.MULTI, Kind.MULTI_CHOICE) and key.startswith("website."):
        max_items = list_limit(Website, key.split(".", 1)[1])
    return Question(
        id=q["id"],
        stage=Stage(q["stage"]),
        key=key,
        label=_text(q["label"]),
        prompt=_text(q["prompt"], **fill),
        help=_text(q["help"], **fill),
        example=_text(q["example"]),
        kind=kind,
        check=q.get("check"),
        options=_stored_as(q.get("store"), options_of(q["options"]) if "options" in q else ()),
        optional=bool(q.get("optional", False)),
        applies_when=dict(q.get("applies", {})),
        max_length=int(q.get("max_length", 200)),
        max_items=max_items,
        aliases=tuple(q.get("aliases", ())),
        id_type_key=q.get("id_type_key"),
        gather=bool(q.get("gather", True)),
        suggests=q.get("suggests"),
        variants={
            name: {**v, **({"options": options_of(v["options"])} if "options" in v else {})}
            for name, v in q.get("variants", {}).items()
        },
    )


def _stored_as(store: str | None, options: tuple[Option, ...]) -> tuple[Option, ...]:
    if store != "label":
        return options
    return tuple(replace(o, value=o.label.zh) for o in options)


def _check(spec: Spec) -> None:
    """Refuse a spec whose questions cannot work (at load: a broken file stops the start)."""
    ids = [q.id for q in spec.questions]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"{SPEC_FILE.name}: duplicate question ids {sorted(duplicates)}")
    for q in spec.questions:
        if q.kind in (Kind.CHOICE, Kind.YESNO, Kind.MULTI_CHOICE) and not q.options:
            raise ValueError(f"{SPEC_FILE.name}: {q.id} is a {q.kind} with no options")
        if len(q.id.encode()) > 20 or not q.id.isascii():
            raise ValueError(f"{SPEC_FILE.name}: {q.id}: ids are short ASCII (buttons carry them)")
