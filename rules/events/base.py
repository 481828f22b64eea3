"""What every event on a filing is (issue 27): who does it, on which day, the move it makes
in the lifecycle machine, its words, and the consequences it brings — declared on its class,
so one class is one whole event. The concrete events live in `rules.events.review` and
`rules.events.certificate`; `rules.events` gathers them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any, ClassVar, get_type_hints

from rules.dates import parse_date
from rules.enums import FilingStatus
from rules.filing_state import FilingState, StepState
from rules.pack import Pack
from rules.plan import date_text
from rules.reminder_kinds import ReminderKind
from rules.text import Text
from rules.workdays import WorkdayCalendar

S = FilingStatus


class FilingEvent(StrEnum):
    """The names of the events the product had before issue 27's one-class events, kept for
    the code that names one of them (the CLI, the console, the tests). An event's name is its
    class's `trigger`; a new event needs no member here."""

    SUBMIT = "submit"  # 在备案系统中提交申请 (the applicant, in the official system)
    PASS_INITIAL_REVIEW = "pass_initial_review"  # noqa: S105 - 初审合格, not a password
    RETURN = "return_for_rectification"  # 退回整改
    RESUBMIT = "resubmit"  # 整改后重新提交
    RECEIVE_MATERIALS = "receive_materials"  # 收到盖章材料
    CERTIFY = "certify"  # 复审合格，发证
    REPORT_CHANGE = "report_change"  # 变更报告
    CANCEL = "cancel"  # 注销


class Role(StrEnum):
    """Who acts."""

    APPLICANT = "applicant"
    REVIEWER = "reviewer"
    OPERATOR = "operator"  # the CLI


@dataclass(frozen=True)
class Actor:
    """Who does an event: their role and id (the audit writes `role:id`)."""

    role: Role
    id: str

    @property
    def audit(self) -> str:
        """Return the audit trail's name for this actor."""
        return f"{self.role.value}:{self.id}"


class Audience(StrEnum):
    """Who a notice goes to."""

    APPLICANT = "applicant"
    REVIEWERS = "reviewers"


@dataclass(frozen=True)
class Notice:
    """A message to send: to whom, of what kind (a reviewer card, a status update), saying what."""

    to: Audience
    kind: str  # "card" (reviewers: with the buttons of the next actions) or "update"
    text: Text
    step: int
    attach: tuple[str, ...] = ()  # the filing's stored PDFs of these kinds, sent with it


@dataclass(frozen=True)
class ReminderChange:
    """A reminder to schedule (due on `due`) or, with `due` None, the series to cancel."""

    kind: ReminderKind
    step: int
    due: dt.date | None = None  # the deadline (icon, second_bureau: the day they count from)


@dataclass(frozen=True)
class Moved:
    """What an event's consequences are drawn from: the filing before and after, the step it
    moved (as it is now) and the status it left."""

    before: FilingState
    after: FilingState
    step: StepState
    was: FilingStatus
    pack: Pack
    cal: WorkdayCalendar
    today: dt.date  # the day the days left are counted from

    def update(self, text: Text, attach: tuple[str, ...] = ()) -> Notice:
        """Return the applicant's update about the moved step."""
        return Notice(Audience.APPLICANT, "update", text, self.step.order, attach)

    def card(self, text: Text, attach: tuple[str, ...] = ()) -> list[Notice]:
        """Return the reviewers' card about the moved step: for this city's step only."""
        if not self.step.local:
            return []
        return [Notice(Audience.REVIEWERS, "card", text, self.step.order, attach)]


Effects = tuple[list[Notice], list[ReminderChange]]

_REGISTERED: list[type[Event]] = []
_OWN = ("actor", "on", "step")  # what every event carries


def day(d: dt.date) -> Text:
    """Return a day as the notices write it."""
    return date_text(d)


@dataclass(frozen=True, kw_only=True)
class Event:
    """An event on a filing's step: by whom, on which day, for which step (None: the one in
    progress). Each kind is a subclass carrying its own data, its move (`sources` → `dest`)
    and its consequences; `decide` dispatches on it. A subclass with a `trigger` is
    registered: the lifecycle machine, the buttons and the handlers follow from it."""

    actor: Actor
    on: dt.date
    step: int | None = None

    trigger: ClassVar[str]  # its name: its move in the lifecycle machine, its audit name
    label: ClassVar[Text]  # its button, and the cards' and the audit's word for it
    sources: ClassVar[tuple[FilingStatus, ...]]  # the statuses it applies in
    dest: ClassVar[FilingStatus | None] = None  # where it moves the step (None: it stays)
    # Sources it moves elsewhere than `dest` (a returned change goes back to certified).
    dest_from: ClassVar[dict[FilingStatus, FilingStatus]] = {}
    by_bureau: ClassVar[bool] = False  # an outcome the bureau decides (a reviewer records it)
    self_report_label: ClassVar[Text | None] = None  # the applicant recording the bureau's word
    prompt: ClassVar[Text | None] = None  # the words a press asks for (its data), if any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "trigger" in cls.__dict__:
            _REGISTERED.append(cls)

    def check(self, step: StepState) -> Text | None:
        """Say what is wrong with the event's own data for `step`, or None."""
        return None

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Return `step` once the event moved it to `dest`."""
        return replace(step, status=dest)

    def steps_after(self, state: FilingState, moved: StepState) -> tuple[StepState, ...]:
        """Return the filing's steps once `moved` is the acting step's new state."""
        return tuple(moved if s.order == moved.order else s for s in state.steps)

    def consequences(self, moved: Moved) -> Effects:
        """Return the notices to send and the reminders to change once the event is in."""
        raise NotImplementedError(type(self).__name__)  # every event says its own

    @classmethod
    def reviews_change(cls) -> bool:
        """Say whether it is the bureau's answer to a reported change (it acts on the step
        whose change waits, even while a later step runs)."""
        return cls.by_bureau and S.CHANGE_REPORTED in cls.sources

    @classmethod
    def own_fields(cls) -> dict[str, Any]:
        """Return the data the event carries beyond who, when and which step, with types."""
        hints = get_type_hints(cls)
        return {f.name: hints[f.name] for f in fields(cls) if f.name not in _OWN}

    @classmethod
    def read(cls, words: str, actor: Actor, today: dt.date) -> Event | Text:
        """Build the event from the words typed to its prompt, dated today: its one own field
        read as its type says (a date, reasons, a text); or what is wrong with the words."""
        (name, kind), *more = cls.own_fields().items()
        assert not more, f"{cls.__name__} reads more than one field: it says how"
        value: Any = words.strip()
        if kind in (dt.date, dt.date | None):
            value = parse_date(value, today)
            if isinstance(value, Text):
                return value
        elif kind == tuple[str, ...]:
            value = (value,)
        return cls(actor=actor, on=today, **{name: value})

    @property
    def name(self) -> str:
        """Return the event's name, as its audit row keeps it."""
        return str(self.trigger)

    @property
    def audit_reason(self) -> str | None:
        """Return the reason the audit row keeps (its reasons, a cancellation's reason)."""
        return None

    def data(self) -> dict[str, Any]:
        """Return the event's own data as its audit row keeps it (JSON)."""
        kept: dict[str, Any] = {"on": self.on.isoformat()}
        for found in fields(self):
            value = getattr(self, found.name)
            if found.name in ("actor", "on") or value is None or value == ():
                continue
            kept[found.name] = (
                value.model_dump() if isinstance(value, Text)
                else list(value) if isinstance(value, tuple)
                else value.isoformat() if isinstance(value, dt.date) else value
            )  # fmt: skip
        return kept


def registered() -> list[type[Event]]:
    """Return every event type, in the order their modules declare them."""
    return list(_REGISTERED)
