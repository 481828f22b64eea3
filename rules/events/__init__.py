"""What happens to a filing, as typed events (issue 27): one frozen dataclass per event, each
declaring all of itself — its data, its move in the lifecycle (`sources` → `dest`), its words
and its consequences (`rules.events.base.Event`). Everything else is derived from the classes
here: the lifecycle machine (`rules.lifecycle`), who may act (`rules.who_acts`), the buttons,
their handlers and prompts (`bot.tg`), the audit's words.

Adding an event: one class in `rules.events.review` or `rules.events.certificate` (see
DESIGN.md, "The filing's life in ten minutes").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rules.events.base import (
    Actor,
    Audience,
    Effects,
    Event,
    FilingEvent,
    Moved,
    Notice,
    ReminderChange,
    Role,
    registered,
)
from rules.events.certificate import Cancel, Certify, ReceiveMaterials, ReportChange
from rules.events.review import RETURN_REASONS, PassInitial, Resubmit, Return, Submit
from rules.text import Text

__all__ = [
    "APPLICANT_EVENTS",
    "BUREAU_EVENTS",
    "EVENT_LABELS",
    "EVENT_TYPES",
    "PREPARE",
    "RECORD_ICON",
    "RETURN_REASONS",
    "SELF_REPORT_LABELS",
    "Actor",
    "Audience",
    "Cancel",
    "Certify",
    "Effects",
    "Event",
    "FilingEvent",
    "Moved",
    "Notice",
    "PassInitial",
    "ReceiveMaterials",
    "ReminderChange",
    "ReportChange",
    "Resubmit",
    "Return",
    "Role",
    "Submit",
    "code_of",
    "make_event",
]

# The audit's names of what is recorded outside the lifecycle machine: a new filing, the icon.
PREPARE, RECORD_ICON = "prepare", "record_icon"

# Every event by its name, in the order the lifecycle goes (the buttons' order).
EVENT_TYPES: dict[str, type[Event]] = {kind.trigger: kind for kind in registered()}
# The events as buttons (and as the audit's and the cards' words for them).
EVENT_LABELS: dict[str, Text] = {e: kind.label for e, kind in EVENT_TYPES.items()}
# The bureau's outcomes as the applicant records them where no reviewer of this city does
# (a bureau elsewhere, a deployment without reviewers): their own words, not the bureau's.
SELF_REPORT_LABELS: dict[str, Text] = {
    e: kind.self_report_label for e, kind in EVENT_TYPES.items() if kind.self_report_label
}
# Outcomes the bureau decides (a reviewer records them, or the applicant self-reports them).
BUREAU_EVENTS = frozenset(e for e, kind in EVENT_TYPES.items() if kind.by_bureau)
APPLICANT_EVENTS = frozenset(EVENT_TYPES) - BUREAU_EVENTS


def code_of(kind: type[Event]) -> str:
    """Return an event type's code in a button or a link, on every channel: its name
    (Submit → "submit")."""
    return kind.__name__.lower()


def make_event(
    trigger: str, actor: Actor, on: dt.date, *, step: int | None = None, **data: Any
) -> Event:
    """Build an event from its name and the words a channel took (the CLI's options, the
    console's form): each kind keeps only the data it carries (None: its default)."""
    kind = EVENT_TYPES[trigger]
    carried = kind.own_fields()
    kept = {k: v for k, v in data.items() if k in carried and v is not None}
    return kind(actor=actor, on=on, step=step, **kept)
