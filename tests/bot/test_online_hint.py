"""A site filed before it went online: once its planned day has passed, /status says so (its
30 days may be running), and the terminal, which has no 「网站已开通」 button, names the command
that records the day."""

from __future__ import annotations

import datetime as dt

from bot.filing_status import describe
from dialogs.model import Context
from models.tables import Filing
from rules.enums import FilingStatus, Location, SubjectType
from rules.pack import Pack
from rules.workdays import WorkdayCalendar

ROUTE = {"steps": [{"order": 1, "where": "local", "bureau": {"zh": "示例市公安局", "en": "PSB"}}]}


def _filing(planned: str) -> Filing:
    return Filing(
        id=7, applicant_id=1, subject_type=SubjectType.INDIVIDUAL, maintenance=Location.LOCAL,
        server=Location.LOCAL, route=ROUTE, status=FilingStatus.PREPARED, site_name="小站",
        data={"website": {"domains": ["a.example.cn"]}, "planned_online_date": planned},
    )  # fmt: skip


def test_a_planned_day_gone_by_is_said_and_the_terminal_names_its_command(pack: Pack) -> None:
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=dt.date(2027, 2, 20))
    said = "\n".join(describe(_filing("2027-01-15"), ctx, "zh", masked=False, terminal=True))
    assert "计划开通日期（2027年1月15日）已过" in said
    assert "beian filings record 7 online --on 开通日期（YYYY-MM-DD）" in said
    chat = "\n".join(describe(_filing("2027-01-15"), ctx, "zh", masked=False))
    assert "计划开通日期（2027年1月15日）已过" in chat and "beian filings" not in chat
    ahead = "\n".join(describe(_filing("2027-03-01"), ctx, "en", masked=False, terminal=True))
    assert "has passed" not in ahead and "beian filings record 7 online" in ahead


def test_the_reviewers_view_marks_a_deadline_of_an_unpublished_year_an_estimate(
    pack: Pack,
) -> None:
    """The reviewers' card said 「初审期限: 2027年1月5日（还剩6天）」 as firm; the applicant's
    /status marks the same day （估算）: 2027's holidays are not published."""
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=dt.date(2026, 12, 30))
    filing = _filing("2026-12-01")
    filing.status = FilingStatus.SUBMITTED
    filing.steps = [{"order": 1, "local": True, "bureau": {"zh": "示例市公安局", "en": "PSB"},
                     "status": "submitted", "submitted_on": "2026-12-28"}]  # fmt: skip
    zh = "\n".join(describe(filing, ctx, "zh", masked=True))
    assert "2027年1月5日（含当日）（估算，还剩6天）" in zh, zh
    en = "\n".join(describe(filing, ctx, "en", masked=True))
    assert "(estimate, 6 days left)" in en and "（" not in en.split(":", 1)[-1], en
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=dt.date(2026, 11, 28))
    filing.steps[0]["submitted_on"] = "2026-11-27"
    assert "（还剩6天）" in "\n".join(describe(filing, ctx, "zh", masked=True))
