"""The dated plan (issue 11): no date before its start, every bureau in route order, late
filers told they are late, the law's words, the city's unconfirmed change period marked."""

from __future__ import annotations

import datetime as dt

import pytest

from rules.enums import Location
from rules.pack import Pack
from rules.plan import FilingDates, PlanStep, procedure_plan
from rules.routing import route_filing
from rules.workdays import WorkdayCalendar

TODAY = dt.date(2026, 11, 28)


def plan(
    pack: Pack,
    maintenance: Location = Location.LOCAL,
    server: Location = Location.LOCAL,
    maintenance_city: str | None = None,
    server_city: str | None = None,
    **dates: dt.date,
) -> list[PlanStep]:
    route = route_filing(maintenance, server, pack, maintenance_city, server_city)
    return procedure_plan(
        pack, WorkdayCalendar(pack.calendar), today=TODAY, route=route, dates=FilingDates(**dates)
    )


def whens(steps: list[PlanStep]) -> list[str]:
    return [s.when.zh for s in steps]


def test_review_steps_state_their_rule_until_the_application_is_submitted(pack: Pack) -> None:
    steps = plan(pack, connection_date=dt.date(2026, 11, 20))
    assert whens(steps)[:4] == [
        "最迟于2026年12月21日（含当日）",
        "提交后5个工作日内",  # not "最迟于2026年12月4日（含当日）": nothing is submitted yet
        "初审合格后5个工作日内",
        "收到材料后3个工作日内",
    ]
    assert [s.deadline is not None for s in steps[:4]] == [True, False, False, False]


def test_a_site_not_online_yet_has_no_date_at_all(pack: Pack) -> None:
    steps = plan(pack)
    assert all(s.deadline is None for s in steps)
    assert steps[0].when.zh == "网站开通之日起30日内"


def test_each_step_is_dated_from_the_event_that_happened(pack: Pack) -> None:
    steps = plan(
        pack,
        connection_date=dt.date(2026, 11, 20),
        submitted_on=dt.date(2026, 11, 27),  # a Friday
        initial_passed_on=dt.date(2026, 12, 2),
        materials_received_on=dt.date(2026, 12, 4),
    )
    assert whens(steps)[:4] == [
        "已于2026年11月27日提交",
        "最迟于2026年12月4日（含当日）",  # 5 working days after Friday 11-27
        "最迟于2026年12月9日（含当日）",
        "最迟于2026年12月9日（含当日）",  # 3 working days after Friday 12-04
    ]


@pytest.mark.parametrize(
    ("maintenance", "server", "m_city", "s_city", "first", "second"),
    [
        (Location.LOCAL, Location.ELSEWHERE, None, "杭州", "示例市公安局", "服务器托管地（杭州）"),
        (
            Location.ELSEWHERE,
            Location.LOCAL,
            "上海",
            None,
            "网站系统维护地（上海）",
            "示例市公安局",
        ),
    ],
)
def test_a_two_bureau_plan_names_both_filings_in_route_order(
    pack: Pack,
    maintenance: Location,
    server: Location,
    m_city: str | None,
    s_city: str | None,
    first: str,
    second: str,
) -> None:
    steps = plan(pack, maintenance, server, m_city, s_city, connection_date=dt.date(2026, 11, 20))
    bureaus = [s.bureau.zh for s in steps if s.bureau is not None]
    assert first in bureaus[0] and second in bureaus[-1]
    order = [0 if first in b else 1 for b in bureaus]
    assert order == sorted(order)  # every step of the first bureau comes before the second's
    between = next(s for s in steps if s.bureau is not None and second in s.bureau.zh)
    assert between.what.zh.startswith("在第1步（") and "之后" in between.what.zh
    assert "完成后" not in between.what.zh + between.when.zh  # the notice sets an order only
    assert between.when.zh == "在第1步之后办理，最迟于2026年12月21日（含当日）"  # Art. 12 too
    assert between.deadline is not None and between.deadline.due == dt.date(2026, 12, 21)
    assert "系统维护地与服务器所在地不同的" in between.basis.zh
    assert "第十二条" in between.basis.zh or "30" in between.basis.zh
    assert first in steps[0].what.zh  # step 1 points to its own bureau, not always this city's
    change = steps[-1]
    assert first in change.what.zh and second in change.what.zh  # tell both of a change


def test_an_outside_bureau_without_a_pack_says_its_own_rules_apply(pack: Pack) -> None:
    steps = plan(pack, Location.ELSEWHERE, Location.LOCAL, "上海", None)
    assert "按当地网安部门的规定和程序" in steps[0].what.zh
    assert "不在本资料中" in steps[0].what.zh
    # this city's own four steps follow, with its system and periods
    local = [s for s in steps if s.bureau is not None and "示例市公安局" in s.bureau.zh]
    assert len(local) == 4 and pack.filing_system_url in local[0].what.zh


def test_a_late_filer_is_told_how_late_and_what_the_law_provides(pack: Pack) -> None:
    first = plan(pack, connection_date=dt.date(2026, 9, 1))[0]
    assert first.overdue_days == 51  # due 2026-10-08
    assert first.when.zh == "尽快办理（已逾期51天：期限为2026年10月8日）"
    assert first.consequence is not None
    assert "警告或者停机整顿不超过六个月" in first.consequence.zh
    assert "第二十三条" in first.consequence.zh and "不处罚款" in first.consequence.zh
    on_time = plan(pack, connection_date=dt.date(2026, 11, 20))[0]
    assert on_time.overdue_days == 0 and on_time.consequence is None


def test_a_late_second_filing_is_told_how_late_too(pack: Pack) -> None:
    """The city's own 30 days do not disappear when the route starts elsewhere."""
    steps = plan(pack, Location.ELSEWHERE, Location.LOCAL, "上海", None, **_online_sep_1())
    second = next(s for s in steps if s.what.zh.startswith("在第1步（"))
    assert second.overdue_days == 51
    assert second.when.zh == "在第1步之后办理，尽快办理（已逾期51天：期限为2026年10月8日）"
    assert second.consequence is not None and "第二十三条" in second.consequence.zh
    not_online = next(s for s in plan(pack, Location.ELSEWHERE, Location.LOCAL, "上海", None)
                      if s.what.zh.startswith("在第1步（"))  # fmt: skip
    assert not_online.when.zh == "在第1步之后办理，网站开通之日起30日内"


def _online_sep_1() -> dict[str, dt.date]:
    return {"connection_date": dt.date(2026, 9, 1)}


def test_the_filing_step_uses_the_words_of_article_12(pack: Pack) -> None:
    first = plan(pack, connection_date=dt.date(2026, 11, 20))[0]
    assert "办理备案手续" in first.what.zh and "提交备案申请" in first.what.zh
    assert "完成备案" not in first.what.zh + first.when.zh


def test_the_icon_step_cites_only_what_the_notice_says(pack: Pack) -> None:
    icon = plan(pack)[-2]
    assert "图标" in icon.what.zh
    assert "及时" in icon.when.zh and "30日" not in icon.when.zh + icon.basis.zh


def test_an_unconfirmed_change_period_is_marked_as_the_citys(pack: Pack) -> None:
    assert not pack.periods.change_report.confirmed
    assert plan(pack)[-1].when.zh == "变更之日起30日内（天数以本市通知为准）"
    confirmed = pack.model_copy(
        update={
            "periods": pack.periods.model_copy(
                update={
                    "change_report": pack.periods.change_report.model_copy(
                        update={"confirmed": True, "days": 15}
                    )
                }
            )
        }
    )
    assert plan(confirmed)[-1].when.zh == "变更之日起15日内"
