"""Time: aware UTC moments in storage, local dates in Asia/Shanghai for deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """Return the current moment as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def local_date(moment: dt.datetime) -> dt.date:
    """Return the calendar date in Asia/Shanghai at `moment`."""
    return moment.astimezone(SHANGHAI).date()


def today_local(clock: Clock = system_clock) -> dt.date:
    """Return today's date in Asia/Shanghai by `clock`."""
    return local_date(clock())
