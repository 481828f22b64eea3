"""The interview's plain data: its state, what comes in, and what a step gives back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rules.answers import FilingAnswers
from rules.pack import Pack
from rules.text import Lang, Text
from rules.workdays import WorkdayCalendar


class Stage(StrEnum):
    """Where in the interview: one state per part of the conversation (the stage machine)."""

    WELCOME = "welcome"
    SUBJECT_TYPE = "subject_type"
    MAINTENANCE = "maintenance"
    SERVER = "server"
    OUT_OF_SCOPE = "out_of_scope"
    CONNECTION_DATE = "connection_date"
    SUBJECT = "subject"
    WEBSITE = "website"
    PEOPLE = "people"
    SUMMARY = "summary"
    DONE = "done"


# The stages that hold questions, in the order they are asked.
DATA_STAGES = (
    Stage.SUBJECT_TYPE,
    Stage.MAINTENANCE,
    Stage.SERVER,
    Stage.CONNECTION_DATE,
    Stage.SUBJECT,
    Stage.WEBSITE,
    Stage.PEOPLE,
)


class Mode(StrEnum):
    """What the interview waits for within its stage (the mode machine)."""

    ANSWERING = "answering"  # the current question's answer
    COLLECTING = "collecting"  # more values of a list, or 完成
    CONFIRMING_CANCEL = "confirming_cancel"  # cancel (keep or delete), or go on
    CONFIRMING_RESTART = "confirming_restart"  # clear everything, or go on
    PAUSED = "paused"  # cancelled with the data kept; the next message wakes it
    OFFERING_RESUME = "offering_resume"  # continue where it stopped, or start over
    CHOOSING_ITEM = "choosing_item"  # which item to change (a section's, or /edit's matches)
    CHANGING_LIST = "changing_list"  # a list to change: add, remove, or replace
    REMOVING_ITEMS = "removing_items"  # which values of a list to remove
    OFFERING_EDIT = "offering_edit"  # an edited message's text as the last answer, or not
    CONFIRMING_PLAN = "confirming_plan"  # a date still to come: the planned go-live?
    CHANGE_REASON = "change_reason"  # a change (变更): its reason, and its date if not today
    CONFIRMING_CHANGE = "confirming_change"  # a change's diff, date and reason: record it?
    OFFERING_PREVIOUS = "offering_previous"  # the last filing's unit and people: reuse them?
    SUGGESTING = "suggesting"  # an unknown place: the closest known names, or another answer
    CONFIRMING_PHOTO = "confirming_photo"  # the fields read from a photo: use them?


@dataclass
class InterviewState:
    """Where an interview is and what has been answered; plain data, stored as JSON."""

    state: Stage = Stage.WELCOME  # the stage machine's state (the attribute transitions uses)
    mode: Mode = Mode.ANSWERING  # the mode machine's state
    question: str | None = None  # the question being asked within the stage
    answers: dict[str, Any] = field(default_factory=dict)  # schema path (or _choice) -> value
    history: list[str] = field(default_factory=list)  # questions answered, for /back
    lang: Lang = "zh"
    asked: int = 0  # how many times something was asked: a button answers only the latest
    collecting: list[Any] | None = None  # values gathered for a list (or toggled options)
    choices: list[str] | None = None  # what CHOOSING_ITEM / REMOVING_ITEMS offers
    pending_text: str | None = None  # an edited message's text, or a date to confirm
    last_ref: str | None = None  # the channel's reference of the message that gave the last answer
    amending: bool = False  # reopened after a return: its confirmation amends its filing
    # /change (or /amend): the confirmed answers as they were, put back if it is given up
    changing_from: dict[str, Any] | None = None
    change_on: str | None = None  # a change's date (ISO), once given
    change_reason: str | None = None  # a change's reason, once given
    change_since: str | None = None  # a change's earliest date (ISO): the certification's
    # /new: the unit's and people's answers of the applicant's last filing, offered once the
    # subject type is known (flat, as `answers`); None once taken or declined.
    reuse: dict[str, Any] | None = None
    # A photo's fields waiting for the applicant's confirmation: {"kind", "values" (answer key
    # -> value), "checked" (keys whose check character validated), "unread" (labels)}.
    photo: dict[str, Any] | None = None

    def to_flow(self) -> dict[str, Any]:
        """Return the parts not stored in their own columns."""
        return {
            "stage": self.state.value,
            "mode": self.mode.value,
            "asked": self.asked,
            "collecting": self.collecting,
            "choices": self.choices,
            "pending_text": self.pending_text,
            "last_ref": self.last_ref,
            "amending": self.amending,
            "changing_from": self.changing_from,
            "change_on": self.change_on,
            "change_reason": self.change_reason,
            "change_since": self.change_since,
            "reuse": self.reuse,
            "photo": self.photo,
        }

    @classmethod
    def restore(
        cls,
        *,
        question: str | None,
        answers: dict[str, Any],
        history: list[Any],
        lang: str,
        flow: dict[str, Any],
    ) -> InterviewState:
        """Rebuild a state from its stored columns."""
        return cls(
            state=Stage(flow.get("stage", Stage.WELCOME.value)),
            mode=Mode(flow.get("mode", Mode.ANSWERING.value)),
            question=question,
            answers=dict(answers),
            history=[str(h) for h in history],
            lang="en" if lang == "en" else "zh",
            asked=int(flow.get("asked") or 0),
            collecting=flow.get("collecting"),
            choices=flow.get("choices"),
            pending_text=flow.get("pending_text"),
            last_ref=flow.get("last_ref"),
            amending=bool(flow.get("amending", False)),
            changing_from=flow.get("changing_from"),
            change_on=flow.get("change_on"),
            change_reason=flow.get("change_reason"),
            change_since=flow.get("change_since"),
            reuse=flow.get("reuse"),
            photo=flow.get("photo"),
        )

    def copy(self) -> InterviewState:
        """Return an independent copy (a step never mutates its input)."""
        return InterviewState(
            state=self.state,
            mode=self.mode,
            question=self.question,
            answers=dict(self.answers),
            history=list(self.history),
            lang=self.lang,
            asked=self.asked,
            collecting=list(self.collecting) if self.collecting is not None else None,
            choices=list(self.choices) if self.choices is not None else None,
            pending_text=self.pending_text,
            last_ref=self.last_ref,
            amending=self.amending,
            changing_from=dict(self.changing_from) if self.changing_from is not None else None,
            change_on=self.change_on,
            change_reason=self.change_reason,
            change_since=self.change_since,
            reuse=dict(self.reuse) if self.reuse is not None else None,
            photo=dict(self.photo) if self.photo is not None else None,
        )


@dataclass(frozen=True)
class PhotoRead:
    """A photo the channel had read: the document's kind and fields (the recogniser's names,
    see rules/photo_fields.py), or why it could not be read."""

    kind: str | None = None
    fields: dict[str, str | None] = field(default_factory=dict)
    checked: tuple[str, ...] = ()  # fields whose check character validated
    problem: Text | None = None


@dataclass(frozen=True)
class Input:
    """What the applicant sent: typed text, or a pressed choice for a given asking."""

    text: str | None = None
    choice: str | None = None  # a choice id from a button
    question: str | None = None  # which asking the button belonged to (stale-button check)
    ref: str | None = None  # the channel's id of the message (an edit names the one it edits)
    edited: bool = False  # the text is an edit of an earlier message, not a new one
    # /change: the earliest day the change may be dated (the filing's certification; the
    # channel reads it from the filing, the interview cannot)
    since: dt.date | None = None
    # /amend: whether the filing it reopens was returned (else never submitted); None: the
    # channel did not say (the interview then names both cases)
    returned: bool | None = None
    photo: PhotoRead | None = None  # a photo of the licence or an ID card, read

    @classmethod
    def typed(
        cls,
        text: str,
        ref: str | None = None,
        since: dt.date | None = None,
        returned: bool | None = None,
    ) -> Input:
        """Return typed text (`ref`: the message it came in, where the channel has ids;
        `since`: a /change's earliest date; `returned`: an /amend's filing was returned)."""
        return cls(text=text, ref=ref, since=since, returned=returned)

    @classmethod
    def edit_of(cls, ref: str, text: str) -> Input:
        """Return the new text of an edited earlier message."""
        return cls(text=text, ref=ref, edited=True)

    @classmethod
    def nothing(cls) -> Input:
        """Return a message that is no answer at all (a photo, a sticker, a voice note)."""
        return cls()

    @classmethod
    def photographed(cls, photo: PhotoRead) -> Input:
        """Return a photo of a document, as the channel read it."""
        return cls(photo=photo)

    @classmethod
    def pressed(cls, question: str, choice: str) -> Input:
        """Return a pressed button."""
        return cls(choice=choice, question=question)


@dataclass(frozen=True)
class Choice:
    """One answer offered as a button (Telegram) or a numbered line (terminal)."""

    id: str
    label: str
    number: int | None = None  # typed as an answer; None for words like “保留” and “完成”


@dataclass(frozen=True)
class Reply:
    """A message to show, with the choices that answer it."""

    text: str
    choices: tuple[Choice, ...] = ()
    question: str | None = None  # the asking these choices answer (buttons carry it)
    in_place: bool = False  # replaces the message whose button was pressed (a toggle)


@dataclass(frozen=True)
class ChangeRequest:
    """A change of a certified filing: when it happened and why."""

    on: dt.date
    reason: str
    before: FilingAnswers | None = None  # the answers as they were when the change began
    interview_before: dict[str, Any] | None = None  # the same, as the interview keeps them


@dataclass(frozen=True)
class Submit:
    """Effect: create the filing from these answers and send the documents (`amends`: the
    interview's own filing takes the answers instead, and its documents are made again;
    `change`: the answers are a change of the interview's certified filing, to report)."""

    answers: FilingAnswers
    amends: bool = False
    change: ChangeRequest | None = None
    # An amendment's answers as the interview had them when it began: put back when the
    # amendment is refused as it is written (a submitted filing's route cannot move).
    amend_before: dict[str, Any] | None = None


@dataclass(frozen=True)
class Cancel:
    """Effect: mark the interview cancelled; keep the data 30 days unless `delete`."""

    delete: bool


@dataclass(frozen=True)
class Resume:
    """Effect: a cancelled interview is active again."""


@dataclass(frozen=True)
class NewInterview:
    """Effect: the previous interview is finished; store this state as a new one (a step
    with this effect is taken again with `Context.previous` where the applicant has filed)."""


@dataclass(frozen=True)
class ShowFilings:
    """Effect: show the applicant their filings as they are now, with their buttons (the
    channel reads them): /start and /status once the interview is done; `newest_only`: the
    one this interview made (any other message once done)."""

    newest_only: bool = False


@dataclass(frozen=True)
class Finished:
    """Effect: the interview is done again (a change or an amendment given up)."""


Effect = Submit | Cancel | Resume | NewInterview | ShowFilings | Finished


@dataclass(frozen=True)
class Step:
    """The outcome of one input: the new state, what to say, what to do."""

    state: InterviewState
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = ()
    stale: bool = False  # a button of a question that is no longer current was pressed


@dataclass(frozen=True)
class Context:
    """What a step needs besides the state: the city's pack, the calendar, today."""

    pack: Pack
    calendar: WorkdayCalendar
    today: dt.date
    # The channel shows choices as buttons (Telegram) or as numbered lines to type (terminal).
    buttons: bool = True
    # /new: the answers of the applicant's last filing (the schema's JSON), which the channel
    # reads only for a turn that starts another interview; None otherwise.
    previous: dict[str, Any] | None = None
    # Returns the characters of some texts the PDFs cannot draw (None: not known yet).
    undrawable: Callable[[Iterable[str]], list[str]] | None = None
    # This install reads photos of the licence and ID cards (the questions say so).
    reads_photos: bool = False
    # The channel takes /close_site (a terminal does not: 注销 is `beian filings cancel` there).
    close_site: bool = True
    # Results worked out during one step (a context lives for one step).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
