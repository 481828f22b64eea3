"""Every reminder kind has every part, and every table about kinds covers it (issue 27).

A kind is one member of `ReminderKind` and one record in `rules.reminder_kinds.KINDS`; the
series, the texts, the buttons, the calendar file and 注销 are derived from it. Each test below
fails when a kind lacks its part (before issue 27 a kind left out of 注销's list kept its
reminders running, and one left out of the calendar's vanished from the .ics).
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.calendar import calendar_of
from bot.tg.filing_presses import PRESSES
from bot.tg.filings import PRESS_CODES
from bot.tg.reminders import ACTION_CODES
from dialogs.model import Context
from models.tables import Filing
from rules.enums import FilingStatus as S
from rules.enums import Location, SubjectType
from rules.events import Cancel
from rules.filing_life import Actor, Decision, FilingState, Role, StepState, decide
from rules.pack import Pack
from rules.reminder_kinds import APPLICANT, KINDS, ReminderKind
from rules.reminders import NEEDED_WHILE, reminder_text, series, why_not_sent
from rules.text import Text, t
from rules.workdays import WorkdayCalendar

EVERY = list(ReminderKind)
DUE = dt.date(2026, 12, 21)


def test_every_kind_has_its_record() -> None:
    assert set(KINDS) == set(ReminderKind)


@pytest.mark.parametrize("kind", EVERY)
def test_a_kind_is_either_a_deadline_with_its_words_and_calendar_line_or_counted_from_a_day(
    kind: ReminderKind,
) -> None:
    spec = KINDS[kind]
    assert spec.phases and spec.needed_while
    assert len({p.name for p in spec.phases}) == len(spec.phases)
    if spec.period is not None:
        assert spec.what is not None and spec.what.zh and spec.what.en
        assert spec.calendar is not None and spec.calendar.zh and spec.calendar.en
        assert spec.message is None
    else:
        assert spec.message is not None and "{on}" in spec.message.zh
        assert spec.what is None and spec.calendar is None


@pytest.mark.parametrize("kind", EVERY)
def test_every_kind_is_planned_worded_and_judged(
    kind: ReminderKind, pack: Pack, cal: WorkdayCalendar
) -> None:
    planned = series(kind, 1, DUE, cal, today=dt.date.min)
    assert [r.phase for r in planned] == [p.name for p in KINDS[kind].phases]
    for reminder in planned:
        text = reminder_text(reminder, pack, cal, site="站", bureau=pack.bureau.name,
                             today=reminder.send_on)  # fmt: skip
        assert text.zh.startswith("⏰") and text.en.startswith("⏰")
        action = KINDS[kind].action
        if action is not None and reminder.to == APPLICANT:
            assert f"“{action.label.zh}”" in text.zh
    needed = next(iter(NEEDED_WHILE[kind]))
    assert why_not_sent(planned[0], needed, planned[0].send_on, cal, {APPLICANT}) is None
    assert why_not_sent(planned[0], S.CANCELLED, planned[0].send_on, cal, {APPLICANT})


@pytest.mark.parametrize("kind", [k for k in EVERY if KINDS[k].action is not None])
def test_a_reminder_button_sends_a_code_the_filing_buttons_take(kind: ReminderKind) -> None:
    action = KINDS[kind].action
    assert action is not None
    assert ACTION_CODES[kind] == PRESS_CODES[action.records]
    assert ACTION_CODES[kind] in PRESSES  # a code the filing buttons take


def test_the_calendar_file_has_an_event_for_every_deadline_kind(
    pack: Pack, cal: WorkdayCalendar
) -> None:
    deadlines = [k for k in EVERY if KINDS[k].period is not None]
    filing = Filing(
        id=1,
        applicant_id=1,
        subject_type=SubjectType.ENTERPRISE,
        maintenance=Location.LOCAL,
        server=Location.LOCAL,
        site_name="示例站",
        steps=[StepState(1, True, t("示例市公安局", "Example PSB")).to_json()],
    )
    dates = [(str(k), 1, DUE + dt.timedelta(days=i)) for i, k in enumerate(deadlines)]
    ics = calendar_of(filing, dates, Context(pack, cal, DUE), "zh").decode()
    assert ics.count("BEGIN:VEVENT") == len(deadlines)
    for kind in deadlines:
        assert f"-1-{kind}@beian" in ics


def test_cancelling_cancels_every_kind_on_every_step(pack: Pack, cal: WorkdayCalendar) -> None:
    steps = (
        StepState(1, True, t("示例市公安局", "Example PSB"), S.CERTIFIED),
        StepState(2, False, t("杭州网安", "Hangzhou's bureau"), S.SUBMITTED),
    )
    decision = decide(
        FilingState(steps, current=2),
        Cancel(actor=Actor(Role.APPLICANT, "7"), on=DUE, reason="网站已关闭"),
        pack=pack,
        calendar=cal,
        now=dt.datetime(2026, 12, 21, 4, tzinfo=dt.UTC),
        reviewers=True,
    )
    assert isinstance(decision, Decision), decision
    cancelled = {(r.kind, r.step) for r in decision.reminders if r.due is None}
    assert cancelled == {(k, s) for k in EVERY for s in (1, 2)}


def test_a_change_reminder_does_not_say_overdue_to_one_who_may_have_reported_on_time(
    pack: Pack, cal: WorkdayCalendar
) -> None:
    """The written statement of a change is handed in at the bureau: nothing here records it,
    and only the bureau's review stops its reminders. 「已逾期1天：你应最迟于…」 went to
    applicants who had handed it in on time."""
    from rules.reminders import Reminder

    due = dt.date(2026, 12, 16)
    bureau = t("示例市公安局", "Example PSB")

    def said(phase: str, today: str, kind: str = "change") -> Text:
        on = dt.date.fromisoformat(today)
        reminder = Reminder(kind, 1, due, on, APPLICANT, phase)
        return reminder_text(reminder, pack, cal, site="小站", bureau=bureau, today=on)

    late = said("overdue", "2026-12-17")
    assert "已逾期" not in late.zh and "期限已过1天" in late.zh
    assert "还没有办理的，请尽快办理" in late.zh and "已经提交书面说明的，不必理会" in late.zh
    assert "Overdue" not in late.en and "If you have handed in the written statement" in late.en
    assert "已经提交书面说明的" in said("before-7", "2026-12-09").zh
    materials = said("overdue", "2026-12-17", "materials")  # its button records the act
    assert "已逾期" in materials.zh and "已经提交书面说明" not in materials.zh
