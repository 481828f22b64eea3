"""A filing's deadlines as an iCalendar file (`/status` → 期限日历): one all-day event per dated
step, with alarms the day before and on the morning of the day. UIDs are stable (filing, step,
kind), so a file sent again after a date moved updates the same events (its SEQUENCE is the
filing's version)."""

from __future__ import annotations

import datetime as dt

from icalendar import Alarm, Calendar, Event

from dialogs.model import Context
from models.filings import state_of
from models.tables import Filing
from rules.reminder_kinds import KINDS, ReminderKind
from rules.text import t

# Each deadline kind's line (rules.reminder_kinds): a kind counted from a day has none.
_SUMMARIES = {kind: s.calendar for kind, s in KINDS.items() if s.calendar is not None}


def calendar_of(
    filing: Filing, dates: list[tuple[str, int, dt.date]], ctx: Context, lang: str = "zh"
) -> bytes:
    """Return the .ics of `dates` ((kind, step, day) of the filing's deadlines)."""
    state = state_of(filing)
    bureaus = {s.order: s.bureau for s in state.steps}
    cal = Calendar()
    cal.add("prodid", "-//beian 备案助手//zh-CN")
    cal.add("version", "2.0")
    name = t(f"{filing.site_name} 备案期限", f"{filing.site_name} filing deadlines")
    cal.add("x-wr-calname", name.en if lang == "en" else name.zh)
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for kind, step, day in dates:
        summary = _SUMMARIES.get(ReminderKind(kind))
        if summary is None:
            continue
        bureau = bureaus.get(step)
        event = Event()
        event.add("uid", f"beian-{filing.id}-{step}-{kind}@beian")
        event.add("sequence", filing.version)
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        title = summary.en if lang == "en" else summary.zh
        site = f" ({filing.site_name})" if lang == "en" else f"（{filing.site_name}）"
        event.add("summary", f"{title}{site}")
        if bureau is not None:
            event.add("description", bureau.en if lang == "en" else bureau.zh)
        for trigger in (dt.timedelta(hours=-14, minutes=-30), dt.timedelta(hours=9, minutes=30)):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", title)
            alarm.add("trigger", trigger)  # 09:30 the day before, and 09:30 on the day
            event.add_component(alarm)
        cal.add_component(event)
    return bytes(cal.to_ical())
