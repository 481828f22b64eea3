"""What may follow a WeChat filing link's code: `F1.1.submit 2026-11-10` recorded the
submission today, the typed day thrown away (the 初审 clock counted from the wrong day)."""

from __future__ import annotations

import datetime as dt

from bot.wx import texts
from bot.wx.acting import _event
from bot.wx.filings import CODES
from rules.events import Event
from rules.filing_life import Actor, Role
from rules.lifecycle import FilingEvent as E

TODAY = dt.date(2026, 11, 28)
ME = Actor(Role.APPLICANT, "applicant:1")


def test_a_day_after_the_code_is_the_day_it_happened() -> None:
    event = _event(CODES[E.SUBMIT], "2026-11-10", ME, TODAY)
    assert isinstance(event, Event) and event.on == dt.date(2026, 11, 10)
    today = _event(CODES[E.SUBMIT], "", ME, TODAY)
    assert isinstance(today, Event) and today.on == TODAY


def test_other_words_after_the_code_are_refused_not_dropped() -> None:
    assert _event(CODES[E.SUBMIT], "已经交了", ME, TODAY) == texts.ONLY_A_DATE
