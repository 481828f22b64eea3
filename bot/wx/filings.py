"""What an applicant can do with their filing on WeChat (issue 29): what Telegram's buttons
under /status do (`bot.tg.filings`), as text links under the filing's status.

WeChat shows no buttons, but a customer-service text may carry links that, tapped, send the
person's message for them (`weixin://bizmsgmenu?msgmenucontent=…`). Each link sends its label
and `F<filing>.<version>.<code>`, which can be typed as well; what needs words (the online
date, the 公安备案号, why 注销) is typed after it (`F12.3.on 2026-11-28`). The code is read
here and recorded through the same rules as a Telegram press: `bot.filing_actions.act`
(which checks the filing is theirs and still at that version), `record_online`,
`record_icon`. Word copies and the calendar file are Telegram's alone (WeChat has no file
message): not offered here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.tables import Filing
from rules.enums import FilingStatus
from rules.events import EVENT_TYPES, code_of
from rules.filing_life import (
    EVENT_LABELS,
    SELF_REPORT_LABELS,
    Role,
    acting_step,
    amendable,
    awaits_online,
    changeable,
    next_actions,
)
from rules.filing_state import FilingState
from rules.lifecycle import FilingEvent as E
from rules.reminder_kinds import KINDS, ReminderKind
from rules.standing import (
    AMEND_LABEL,
    CHANGE_LABEL,
    ICON_LABEL,
    ONLINE_LABEL,
    RESEND_LABEL,
    icon_due,
)
from rules.text import Lang, Text, button

REF = re.compile(r"F(\d{1,12})\.(\d{1,9})\.([a-z][a-z_-]{0,20})")


EVENT_CODES: dict[str, str] = {code_of(kind): e for e, kind in EVENT_TYPES.items()}
CODES: dict[str, str] = {e: code for code, e in EVENT_CODES.items()}
ONLINE, ICON_PLACED, MATERIALS_HANDED = "on", "ic", "sm"
AMEND, CHANGE, RESEND = "fix", "chg", "d"
# What a reminder's action records (rules.reminder_kinds.PressAction.records), as a code.
PRESS_CODES = {"submit": CODES[E.SUBMIT], "materials_handed": MATERIALS_HANDED,
               "icon_placed": ICON_PLACED}  # fmt: skip
KNOWN_CODES = frozenset({*EVENT_CODES, ONLINE, ICON_PLACED, MATERIALS_HANDED, AMEND, CHANGE,
                         RESEND})  # fmt: skip
# Codes whose action needs typed words after the code.
NEEDS_WORDS = frozenset({CODES[E.CERTIFY], CODES[E.CANCEL], CODES[E.RETURN], ONLINE})
_CHANGE_ACCEPTED = button("变更审核通过", "Accept the change")


@dataclass(frozen=True)
class Asked:
    """An action asked for by its code: on which filing, at which version, with what words."""

    filing_id: int
    version: int
    code: str
    words: str


def read_ref(text: str) -> Asked | None:
    """Read `F<filing>.<version>.<code>` (a link tapped, or typed) and the words after it:
    typed first, or after a link's label in brackets, and only a code this module knows (an
    interview's answer such as a domain is never read as one)."""
    found = REF.search(text)
    if found is None or found.group(3) not in KNOWN_CODES:
        return None
    if found.start() and text[found.start() - 1] not in "（(":
        return None
    words = text[found.end() :].strip().lstrip("）)").strip()
    return Asked(int(found.group(1)), int(found.group(2)), found.group(3), words)


def ref_of(filing_id: int, version: int, code: str) -> str:
    """The reference a link sends and a person may type: F<filing>.<version>.<code>."""
    return f"F{filing_id}.{version}.{code}"


def link(label: str, ref: str, number: int = 1) -> str:
    """A text link that sends `label（ref）` as the person's message when tapped."""
    return (
        f'<a href="weixin://bizmsgmenu?msgmenucontent={label}（{ref}）&msgmenuid={number}">'
        f"{label}</a>"
    )


def applicant_actions(state: FilingState, reviewers: bool) -> list[tuple[Text, str]]:
    """The actions an applicant has on a filing now (label, code), as Telegram's buttons
    under /status are, less the Word copies and the calendar file."""
    events = next_actions(state, Role.APPLICANT, reviewers)
    self_report = not (state.step.local and reviewers)
    own = (E.SUBMIT, E.RESUBMIT, E.CANCEL)  # the applicant's own acts, not the bureau's
    found: list[tuple[Text, str]] = []
    for e in events:
        if e == E.REPORT_CHANGE:
            continue  # 信息变更 below: any certified step, not only the one in progress
        step = acting_step(state, e, Role.APPLICANT, reviewers)
        label = EVENT_LABELS[e]
        if e == E.CERTIFY and step.status is FilingStatus.CHANGE_REPORTED:
            label = _CHANGE_ACCEPTED
        elif self_report and e not in own:
            label = SELF_REPORT_LABELS.get(e, label)  # the applicant records the bureau's word
        found.append((label, CODES[e]))
    if amendable(state):
        found.insert(0, (AMEND_LABEL, AMEND))
    if changeable(state):
        found.insert(0, (CHANGE_LABEL, CHANGE))
    if icon_due(state):
        found.insert(0, (ICON_LABEL, ICON_PLACED))
    if awaits_online(state):
        found.insert(0, (ONLINE_LABEL, ONLINE))
    found.append((RESEND_LABEL, RESEND))
    return found


def action_lines(
    filing_id: int, version: int, actions: list[tuple[Text, str]], lang: Lang
) -> list[str]:
    """One link per action, numbered for WeChat's menu message ids."""
    return [
        link(label.get(lang), ref_of(filing_id, version, code), number)
        for number, (label, code) in enumerate(actions, start=1)
    ]


def reminder_action(kind: str) -> tuple[Text, str] | None:
    """The action a reminder of `kind` names (its label and code), if any."""
    action = KINDS[ReminderKind(kind)].action
    if action is None:
        return None
    return action.label, PRESS_CODES[action.records]


def action_link(filing: Filing, kind: str, lang: Lang) -> str:
    """The link of the action a reminder names, for its filing as it is ("" when none)."""
    found = reminder_action(kind)
    if found is None or filing.id is None:
        return ""
    label, code = found
    return link(label.get(lang), ref_of(filing.id, filing.version, code))
