"""A change of the filed information (变更), as data: what changed, whether it is valid, what it
means for the route and when it must be reported.

Answers are compared as the answers schema stores them (`FilingAnswers.model_dump(mode="json")`)
flattened to dotted paths (`website.ips`, `security_officer.mobile`): a list is one value, a
nested object is its fields. The chat, the CLI and the history all name a field by that path;
what a person reads (the label, the value shown) is added by the caller.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from rules.answers import FilingAnswers, answer_problems
from rules.consistency import contradictions
from rules.deadlines import Deadline, compute_deadline
from rules.enums import FilingStatus, PeriodKind
from rules.filing_state import CHANGEABLE, StepState, route_steps
from rules.pack import Pack
from rules.routing import route_of
from rules.text import Lang, Text, mask_number, t
from rules.workdays import WorkdayCalendar

# Fields whose values are personal numbers: masked (last 4 kept) wherever others read them.
# (an individual's credential number is their ID number: masked for every subject alike)
_PERSONAL_ENDINGS = ("id_number", "mobile", "phone", "passport", "credential_number")


S = FilingStatus


@dataclass(frozen=True)
class FieldChange:
    """One changed field: its dotted path, its old and new values (as the schema stores them)."""

    field: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        """Return the change as history keeps it."""
        return {"field": self.field, "old": self.old, "new": self.new}

    @property
    def personal(self) -> bool:
        """Say whether the values are personal numbers (masked in notices and cards)."""
        return self.field.rsplit(".", 1)[-1].endswith(_PERSONAL_ENDINGS)


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return `data` as {dotted path: value}; lists and scalars are values, dicts are walked."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """Return what differs between two answers (schema JSON), in the new answers' order."""
    before, after = flatten(old), flatten(new)
    keys = list(dict.fromkeys([*after, *before]))
    return [
        FieldChange(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)
    ]


def shown(value: Any, lang: Lang = "zh") -> str:
    """Write a stored value plainly (lists joined, yes/no, nothing as a dash)."""
    if value is None or value == [] or value == "":
        return "（无）" if lang == "zh" else "(none)"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, list):
        return ("；" if lang == "zh" else "; ").join(shown(v, lang) for v in value)
    if isinstance(value, dict):
        return " ".join(shown(v, lang) for v in value.values() if v not in (None, "", []))
    return str(value)


def masked(change: FieldChange, value: str) -> str:
    """Return `value` as others may read it: a personal number keeps its last 4 characters."""
    return mask_number(value) if change.personal and value not in ("（无）", "(none)") else value


@dataclass(frozen=True)
class ChangeCheck:
    """A change applied to a filing's answers: the new answers, or every problem found."""

    answers: FilingAnswers | None
    changes: tuple[FieldChange, ...]
    problems: tuple[str, ...]


def apply_changes(
    data: dict[str, Any], values: dict[str, Any], pack: Pack, lang: Lang = "zh"
) -> ChangeCheck:
    """Set `values` ({dotted path: value}) on a filing's stored answers and check the result
    with the interview's checks (schema and cross-field); list every problem, change nothing."""
    current = FilingAnswers.model_validate(data).model_dump(mode="json")
    known = flatten(current)
    problems: list[str] = []
    updated: dict[str, Any] = _copy(current)
    for path in [p for p in values if p in _NOT_BY_A_CHANGE]:
        problems.append(f"{path}: {_NOT_BY_A_CHANGE[path].get(lang)}")
    for path, value in values.items():
        if path in _NOT_BY_A_CHANGE:
            continue
        if path not in known and not _under_a_known_leaf(path, known):
            close = difflib.get_close_matches(path, list(known), n=3)
            hint = ("，是否指：" if lang == "zh" else "; did you mean: ") + ", ".join(close)
            problems.append(
                (f"{path}: 没有这个字段" if lang == "zh" else f"{path}: no such field")
                + (hint if close else "")
            )
            continue
        _set(updated, path, value)
    try:
        answers = FilingAnswers.model_validate(updated)
    except ValidationError as exc:
        return ChangeCheck(None, (), (*problems, *answer_problems(exc, lang)))
    if problems:  # unknown fields, the known ones valid: still nothing changes
        return ChangeCheck(None, (), tuple(problems))
    found = contradictions(answers, pack)
    if found:
        return ChangeCheck(None, (), tuple(f"{p.field}: {p.message.get(lang)}" for p in found))
    changes = tuple(diff(current, answers.model_dump(mode="json")))
    if not changes:
        nothing = "没有任何信息改变。" if lang == "zh" else "Nothing changes."
        return ChangeCheck(None, (), (nothing,))
    return ChangeCheck(answers, changes, ())


# Fields a change report cannot set: the bureau gives the number; another subject files anew.
_NOT_BY_A_CHANGE: dict[str, Text] = {
    "psb_number": t("公安备案号由网安部门发证时登记，不能通过变更修改", "set by the bureau"),
    "subject_type": t(
        "开办主体类型不能变更：请注销后为新的主体重新备案",
        "cannot change: cancel the filing and file again for the new subject",
    ),
}


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in data.items()}


def _under_a_known_leaf(path: str, known: dict[str, Any]) -> bool:
    """A field of an optional object that is empty now (`emergency_contact.name`)."""
    parts = path.split(".")
    return any(
        ".".join(parts[:i]) in known and known[".".join(parts[:i])] is None
        for i in range(1, len(parts))
    )


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[leaf] = value


def route_advice(
    old: FilingAnswers,
    new: FilingAnswers,
    pack: Pack,
    steps: Sequence[StepState] | None = None,
) -> Text | None:
    """Say what a change of maintenance or server location means for each bureau (report the
    change, cancel or withdraw where the site left, file anew where it went); None when the
    bureaus stay the same. `steps`: the filing's steps with their statuses (None: every
    bureau of the old route certified); bureaus are compared by what they are
    (`rules.filing_state.bureau_key`), not by their labels."""
    after = route_of(new, pack)
    was, will = route_steps(route_of(old, pack)), route_steps(after)
    if [s.key for s in was] == [s.key for s in will]:
        return None
    if steps is None:
        steps = [replace(s, status=S.CERTIFIED) for s in was]
    now = {s.key: s.bureau for s in will}
    known = {s.key for s in steps}
    lines = [
        t(
            f"需要向{bureau.zh}新办理网站安全备案（按那里的要求，尽快办理）。",
            f"A new filing is needed with {bureau.en} (following its own procedure, as soon "
            "as possible).",
        )
        for key, bureau in now.items()
        if key not in known
    ]
    lines += [_told_of_move(s.bureau, s.status, stays=s.key in now) for s in steps]
    if not after.in_scope and any(s.local and s.status in CHANGEABLE for s in steps):
        lines.append(
            t(
                "维护地和服务器都已不在本市：本市这份备案在报告变更后应注销。",
                "Neither maintenance nor server is in this city any more: after reporting the "
                "change, cancel this city's filing.",
            )
        )
    head = t("这次变更改变了备案路线：", "This change alters where the site is filed:")
    return Text(
        zh=head.zh + "\n" + "\n".join(f"• {line.zh}" for line in lines),
        en=head.en + "\n" + "\n".join(f"• {line.en}" for line in lines),
    )


def _told_of_move(bureau: Text, status: FilingStatus, *, stays: bool) -> Text:
    """What a bureau of the filing is to be told of a change of route, by how far the site
    got there: certified, under review, or never submitted."""
    if status in CHANGEABLE and stays:
        return t(f"向{bureau.zh}报告这次变更。", f"Report this change to {bureau.en}.")
    if status is not S.PREPARED and stays:
        return t(
            f"在{bureau.zh}的备案申请正在办理：在备案系统中同样修改。",
            f"The application with {bureau.en} is under way: make the same change in the "
            "filing system.",
        )
    if status in CHANGEABLE:
        return t(
            f"告知{bureau.zh}：网站已不归其管辖，提交变更说明并在那里办理注销。",
            f"Tell {bureau.en} that the site has left its area: report the change and "
            "cancel the filing there.",
        )
    if status is not S.PREPARED:
        return t(
            f"告知{bureau.zh}：网站已不归其管辖，撤回在那里提交的备案申请。",
            f"Tell {bureau.en} that the site has left its area, and withdraw the application "
            "made there.",
        )
    if stays:
        return t(
            f"向{bureau.zh}的备案仍待办理（尚未提交）。",
            f"The filing with {bureau.en} is still to be made (not submitted yet).",
        )
    return t(
        f"原定向{bureau.zh}的备案尚未提交，不必再办理。",
        f"The filing with {bureau.en} was never submitted and is no longer needed.",
    )


def change_deadline(on: dt.date, pack: Pack, cal: WorkdayCalendar) -> Deadline:
    """Return when a change made on `on` must be reported (the pack's change-report period)."""
    return compute_deadline(PeriodKind.CHANGE, on, pack, cal)


def change_rows(
    changes: tuple[FieldChange, ...] | list[FieldChange],
    label: Callable[[str], Text],
    show: Callable[[FieldChange, Any, Lang], str] | None = None,
    *,
    lang: Lang = "zh",
    private: bool = False,
) -> list[tuple[str, str, str]]:
    """Return (label, old, new) per change as a person reads them; `private`: personal
    numbers masked (for reviewers' cards)."""
    rows = []
    for change in changes:
        old = show(change, change.old, lang) if show else shown(change.old, lang)
        new = show(change, change.new, lang) if show else shown(change.new, lang)
        if private:
            old, new = masked(change, old), masked(change, new)
        rows.append((label(change.field).get(lang), old, new))
    return rows
