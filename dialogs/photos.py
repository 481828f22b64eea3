"""A photo of the business licence or an ID card: its fields shown, used only when the
applicant confirms (issue 30).

The channel reads the photo (bot/ocr/) and hands over plain fields; here they become the
answers of the questions they fill — the unit's from a licence, the person's being asked
from an ID card — each through its question's own check. A code is offered only when its
check character validated; what was not read is asked as before. Nothing is applied before
the applicant says so, and every item stays editable with /edit.
"""

from __future__ import annotations

from typing import Any

from dialogs import texts
from dialogs.asking import picked_or_asked
from dialogs.machine import switch
from dialogs.model import DATA_STAGES, Choice, Input, Mode, PhotoRead, Stage
from dialogs.reading import read_text_answer
from dialogs.spec import Option, Question
from dialogs.turn import Core, Part
from rules.photo_fields import KIND_LABELS, field_label
from rules.text import Text

PHOTO_OPTIONS = (
    Option("apply", texts.PHOTO_APPLY, ("使用", "用", "是", "对", "确认", "好", "yes", "use")),
    Option("discard", texts.PHOTO_DISCARD, ("不用", "否", "不", "自己输入", "no")),
)
# The licence's fields, and the answers they fill (a unit: not an individual).
LICENCE_KEYS = {
    "name": "subject.name",
    "uscc": "subject.credential_number",
    "address": "subject.address",
    "legal_representative": "subject.responsible.name",
}
# The people an ID card may be of: the answers' prefix of each.
PEOPLE = ("subject.responsible", "security_officer", "emergency_contact")
INDIVIDUAL_KEYS = {
    "name": "subject.name",
    "id_number": "subject.credential_number",
    "address": "subject.address",
}
# These questions say a photo can fill them (when this install reads photos).
_LICENCE_HINTED = set(LICENCE_KEYS.values()) - {"subject.responsible.name"}  # an ID card's


def _person_of(key: str) -> str | None:
    return next((p for p in PEOPLE if key in (f"{p}.name", f"{p}.id_number")), None)


def id_card_keys(question_key: str, subject_type: str | None) -> dict[str, str]:
    """Return which answers an ID card fills at this question (empty: none)."""
    if subject_type == "individual" and question_key in INDIVIDUAL_KEYS.values():
        return dict(INDIVIDUAL_KEYS)
    person = _person_of(question_key)
    if person is None:
        return {}
    return {"name": f"{person}.name", "id_number": f"{person}.id_number"}


def licence_keys(subject_type: str | None) -> dict[str, str]:
    """Return which answers a licence fills (a unit's, not an individual's)."""
    return dict(LICENCE_KEYS) if subject_type not in (None, "individual") else {}


def photo_hint(
    q: Question, subject_type: str | None, id_type: Any, *, sent: bool = True
) -> Text | None:
    """Say what photo fills this question, where one does (`sent`: a chat sends photos; the
    terminal takes a file's path)."""
    if subject_type == "enterprise" and q.key in _LICENCE_HINTED:
        return texts.PHOTO_HINT_LICENCE if sent else texts.PHOTO_HINT_LICENCE_PATH
    if id_card_keys(q.key, subject_type) and id_type == "resident_id":
        return texts.PHOTO_HINT_ID if sent else texts.PHOTO_HINT_ID_PATH
    if id_card_keys(q.key, subject_type) and id_type is None:  # the type is asked after
        return texts.PHOTO_HINT_ID_IF if sent else texts.PHOTO_HINT_ID_PATH_IF
    return None


class Photos(Part):
    """Take a photo's fields as answers, once the applicant has seen and confirmed them."""

    MODES = (Mode.CONFIRMING_PHOTO,)

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        core.register(self, self.MODES)

    def ask_aside(self, lines: list[str]) -> list[Choice]:
        self.asking_photo(lines)
        return self.core.choices(PHOTO_OPTIONS)

    def resolve_aside(self, inp: Input) -> None:
        if (chosen := picked_or_asked(self.core, PHOTO_OPTIONS, inp)) is not None:
            self.resolve_photo(chosen)

    def photo(self, photo: PhotoRead) -> None:
        q = self.core.question()
        answering = self.s.mode is Mode.ANSWERING and self.s.state in DATA_STAGES
        if not answering or q is None or self.s.state is Stage.SUBJECT_TYPE:
            self.core.ask([texts.PLEASE_ANSWER.get(self.lang)])
            return
        if photo.problem is not None:
            self.core.ask(
                [texts.PHOTO_PROBLEM.fill(self.lang, reason=photo.problem.get(self.lang))]
            )
            return
        if photo.kind == "business_license":
            keys = licence_keys(self.core.subject_type)
        elif photo.kind == "id_card":
            keys = id_card_keys(q.key, self.core.subject_type)
        elif photo.kind == "id_card_back" and id_card_keys(q.key, self.core.subject_type):
            self.core.ask([texts.ID_CARD_BACK_HERE.get(self.lang)])
            return
        else:
            keys = {}
        if not keys:
            self.core.ask([texts.PHOTO_NOT_HERE.get(self.lang)])
            return
        values: dict[str, Any] = {}
        checked: list[str] = []
        unread: list[str] = []
        for name, key in keys.items():
            value = self._checked_value(key, photo.fields.get(name))
            if value is None:
                unread.append(name)
                continue
            values[key] = value
            if name in photo.checked:
                checked.append(key)
        if not values:
            self.core.ask([texts.PHOTO_NOTHING.get(self.lang)])
            return
        self.s.photo = {"kind": photo.kind, "values": values, "checked": checked, "unread": unread}
        switch(self.s, "confirm_photo")
        self.core.ask()

    def _checked_value(self, key: str, read: str | None) -> Any:
        """Return the value as its question takes it, or None (not read, or refused)."""
        found = self.spec.by_key.get(key)
        if not read or found is None:
            return None
        q = self.spec.worded(found, self.core.subject_type)
        if q.id_type_key and self.s.answers.get(q.id_type_key) not in (None, "resident_id"):
            return None  # another document than a resident ID is asked here
        answers = {k: v for k, v in self.s.answers.items() if k != key}
        parsed = read_text_answer(read, q, answers, self.ctx.today)
        return parsed.value if parsed.ok else None

    def asking_photo(self, lines: list[str]) -> None:
        pending = self.s.photo or {}
        lang = self.lang
        kind = pending.get("kind", "business_license")
        label = KIND_LABELS.get(kind, KIND_LABELS["business_license"]).get(lang)
        lines.append(texts.PHOTO_READ.fill(lang, kind=label))
        colon = "：" if lang == "zh" else ": "
        checked = set(pending.get("checked", ()))
        for key, value in pending.get("values", {}).items():
            found = self.spec.by_key.get(key)
            name = self.spec.worded(found, self.core.subject_type).label.get(lang) if found else key
            lines.append(f"  {name}{colon}{value}{' ✔' if key in checked else ''}")
        unread = [field_label(kind, n).get(lang) for n in pending.get("unread", ())]
        if unread:
            sep = "、" if lang == "zh" else ", "
            lines.append(texts.PHOTO_NOT_READ.fill(lang, labels=sep.join(unread)))
        note = texts.PHOTO_CHECK_NOTE if self.ctx.buttons else texts.PHOTO_CHECK_NOTE_PATH
        lines.append(note.get(lang))

    def resolve_photo(self, chosen: str) -> None:
        pending, self.s.photo = self.s.photo or {}, None
        switch(self.s, "settle")
        current = self.core.question()
        if chosen != "apply":
            self.core.say(texts.PHOTO_DISCARDED)
            self.core.ask()
            return
        for key, value in pending.get("values", {}).items():
            self.s.answers[key] = value
            found = self.spec.by_key.get(key)
            if found is not None:
                self.core.record(found)
        self.core.say(texts.PHOTO_APPLIED)
        if current is not None and current.key not in self.s.answers:
            self.core.ask()  # the question asked before the photo is still to answer
            return
        self.core.advance(current)
