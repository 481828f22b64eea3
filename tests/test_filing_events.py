"""The filing's events as types, and everything derived from them (issue 27 items 1 and 3).

Adding an event is a subclass in rules/events.py and its consequence function: these tests
fail when an event lacks its consequences, its button code, its handler, or when a bureau's
outcome would be pressed as the applicant's (before issue 27 the set of bureau events was
written three times, and leaving a new one out of one of them went unnoticed).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.tg import ui
from bot.tg.filing_presses import PRESSES
from bot.tg.filing_prompts import _PROMPTED
from bot.tg.filings import ACCEPT_CHANGE, CODES, LEGACY_CODES, OWN_REASON, REASON_CODES
from rules.consequences import CONSEQUENCES
from rules.events import (
    BUREAU_EVENTS,
    EVENT_LABELS,
    EVENT_TYPES,
    Actor,
    Event,
    ReportChange,
    Role,
    make_event,
)
from rules.lifecycle import FilingEvent
from rules.text import t

KINDS = list(EVENT_TYPES.values())
WHO = Actor(Role.APPLICANT, "7")


def test_every_lifecycle_event_has_its_type() -> None:
    assert set(EVENT_TYPES) == set(FilingEvent)
    assert all(kind.trigger is e for e, kind in EVENT_TYPES.items())


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_event_has_its_consequence_function(kind: type[Event]) -> None:
    assert kind in CONSEQUENCES


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
    event = make_event(kind.trigger, WHO, on, reasons=("材料不清晰",),
                       psb_number="京公网安备11010502030143号", reason="网站已关闭")  # fmt: skip
    assert type(event) is kind and event.label == EVENT_LABELS[kind.trigger]
    data = event.data()
    assert data["on"] == "2026-12-01" and "actor" not in data
    assert json.loads(json.dumps(data)) == data
    assert event.name == kind.trigger.value


def test_a_changes_data_keeps_what_changed() -> None:
    masked = t("• 手机：*******8000", "• Mobile: *******8000")
    change = ReportChange(actor=WHO, on=dt.date(2026, 12, 1), reason="换手机",
                          detail=t("• 手机：13800138000", "• Mobile: 13800138000"),
                          card_detail=masked)  # fmt: skip
    assert change.data() == {"on": "2026-12-01", "reason": "换手机",  # the masked lines only
                             "card_detail": {"zh": "• 手机：*******8000",
                                             "en": "• Mobile: *******8000"}}  # fmt: skip
