"""The filing's events as types, and everything derived from them (issue 27 items 1 and 3).

Adding an event is one class in rules/events/ (its data, move, words and consequences): these
tests fail when an event lacks its move in the lifecycle machine, its consequences, its button
code, its handler, its prompt's reader, or when a bureau's outcome would be pressed as the
applicant's (before issue 27 the set of bureau events was written three times, and leaving a
new one out of one of them went unnoticed).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.tg import ui
from bot.tg.filing_presses import PRESSES
from bot.tg.filing_prompts import _PROMPTED, _PROMPTS
from bot.tg.filings import ACCEPT_CHANGE, CODES, LEGACY_CODES, OWN_REASON, REASON_CODES
from rules.enums import FilingStatus
from rules.events import (
    BUREAU_EVENTS,
    EVENT_LABELS,
    EVENT_TYPES,
    Actor,
    Event,
    ReportChange,
    Return,
    Role,
    make_event,
)
from rules.events.base import registered
from rules.lifecycle import LIFECYCLE, FilingEvent
from rules.text import t

KINDS = list(EVENT_TYPES.values())
WHO = Actor(Role.APPLICANT, "7")


def test_every_event_type_is_registered_once_under_its_name() -> None:
    assert registered() == KINDS and len(set(EVENT_TYPES)) == len(registered())
    assert set(FilingEvent) <= set(EVENT_TYPES)  # the names the CLI and console use
    assert all(kind.trigger == e for e, kind in EVENT_TYPES.items())


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_event_has_its_move_in_the_lifecycle_machine(kind: type[Event]) -> None:
    assert kind.sources and set(kind.sources) <= set(FilingStatus)
    for status in kind.sources:
        found = LIFECYCLE.get_transitions(trigger=kind.trigger, source=status.name)
        expected = kind.dest_from.get(status) or kind.dest or status
        assert [t.dest for t in found] == [expected.name], status
    outside = [s for s in FilingStatus if s not in kind.sources]
    assert not any(LIFECYCLE.get_transitions(trigger=kind.trigger, source=s.name) for s in outside)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_event_says_its_own_consequences(kind: type[Event]) -> None:
    assert "consequences" in vars(kind), f"{kind.__name__} has no consequences of its own"


@pytest.mark.parametrize("kind", [k for k in KINDS if k.prompt], ids=lambda k: k.__name__)
def test_every_event_with_a_prompt_is_asked_and_read(kind: type[Event]) -> None:
    code = OWN_REASON if kind is Return else CODES[kind.trigger]
    assert _PROMPTED[code] is kind and _PROMPTS[code] == kind.prompt
    assert kind.own_fields()  # a prompt asks for the data the event carries
    if len(kind.own_fields()) > 1:  # more than one field: the event says how it reads them
        assert "read" in vars(kind), kind.__name__


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_event_has_a_button_code_that_a_handler_takes(kind: type[Event]) -> None:
    code = CODES[kind.trigger]
    assert code == kind.__name__.lower()
    press = PRESSES[code]
    assert press.event is kind
    assert press.bureau is kind.by_bureau  # a reviewer's press is taken as the reviewer's
    ui.callback_data("F99999999.99999", code, -1001234567890, b"k" * 32)  # fits 64 bytes


def test_the_bureaus_presses_and_prompts_are_its_events() -> None:
    assert {e for e, kind in EVENT_TYPES.items() if kind.by_bureau} == BUREAU_EVENTS
    for code in (*REASON_CODES, OWN_REASON, ACCEPT_CHANGE):
        assert PRESSES[code].bureau, code
    for code, kind in _PROMPTED.items():
        assert code in PRESSES
        assert (kind is not None and kind.by_bureau) is PRESSES[code].bureau, code


def test_buttons_sent_before_the_codes_were_derived_still_work() -> None:
    assert set(LEGACY_CODES.values()) <= set(PRESSES)
    assert not set(LEGACY_CODES) & set(PRESSES)  # an old code never means something new


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_an_events_data_is_what_its_audit_row_keeps(kind: type[Event]) -> None:
    on = dt.date(2026, 12, 1)
    dates = {n: on for n, typ in kind.own_fields().items() if "date" in str(typ)}
    event = make_event(kind.trigger, WHO, on, reasons=("材料不清晰",),
                       psb_number="京公网安备11010502030143号", reason="网站已关闭",
                       **dates)  # fmt: skip
    assert type(event) is kind and event.label == EVENT_LABELS[kind.trigger]
    data = event.data()
    assert data["on"] == "2026-12-01" and "actor" not in data
    assert json.loads(json.dumps(data)) == data
    assert event.name == str(kind.trigger)


def test_a_changes_data_keeps_what_changed() -> None:
    masked = t("• 手机：*******8000", "• Mobile: *******8000")
    change = ReportChange(actor=WHO, on=dt.date(2026, 12, 1), reason="换手机",
                          detail=t("• 手机：13800138000", "• Mobile: 13800138000"),
                          card_detail=masked)  # fmt: skip
    assert change.data() == {"on": "2026-12-01", "reason": "换手机",  # the masked lines only
                             "card_detail": {"zh": "• 手机：*******8000",
                                             "en": "• Mobile: *******8000"}}  # fmt: skip
