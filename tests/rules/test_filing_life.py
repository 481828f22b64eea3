"""The filing's life as one pure decision per event (issue 12)."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, replace

import pytest

from rules.enums import FilingStatus as S
from rules.events import BUREAU_EVENTS, EVENT_TYPES, Event, ReportChange
from rules.filing_life import (
    Actor,
    Audience,
    Decision,
    FilingState,
    Refusal,
    Role,
    StepState,
    decide,
    next_actions,
)
from rules.lifecycle import FilingEvent as E
from rules.lifecycle import next_status
from rules.pack import Pack
from rules.text import t
from rules.workdays import WorkdayCalendar

NOW = dt.datetime(2026, 12, 10, 10, 0, tzinfo=dt.UTC)
APPLICANT = Actor(Role.APPLICANT, "7")
REVIEWER = Actor(Role.REVIEWER, "3")
LOCAL = StepState(1, True, t("示例市公安局", "Example PSB"))
OUTSIDE = StepState(2, False, t("服务器托管地（杭州）的公安网安部门", "Hangzhou's bureau"))


def go(
    pack: Pack,
    state: FilingState,
    event: str,
    actor: Actor = APPLICANT,
    *,
    reviewers: bool = True,
    on: dt.date | None = None,
    **extra: object,
) -> Decision | Refusal:
    return decide(
        state,
        _event(event, actor, on or NOW.date(), **extra),
        pack=pack,
        calendar=WorkdayCalendar(pack.calendar),
        now=NOW,
        reviewers=reviewers,
    )


def _event(event: str, actor: Actor, on: dt.date, **extra: object) -> Event:
    """The typed event of `event`, with the data of `extra` its type carries."""
    kind = EVENT_TYPES[event]
    carried = {f.name for f in fields(kind)}
    data = {k: v for k, v in extra.items() if k in carried}
    return kind(actor=actor, on=on, **data)  # type: ignore[arg-type]


def ok(result: Decision | Refusal) -> Decision:
    assert isinstance(result, Decision), result
    return result


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("event", list(EVENT_TYPES))
def test_every_status_and_event_is_decided_by_the_lifecycle(
    pack: Pack, status: S, event: str
) -> None:
    state = FilingState((StepState(1, True, LOCAL.bureau, status),))
    actor = REVIEWER if event in BUREAU_EVENTS else APPLICANT
    dates = {
        n: NOW.date() for n, typ in EVENT_TYPES[event].own_fields().items() if "date" in str(typ)
    }
    result = go(
        pack,
        state,
        event,
        actor,
        reasons=("网站无法访问",),
        psb_number="京公网安备11010502030143号",
        reason="更换服务器",
        **dates,
    )
    dest = next_status(status, event)
    if dest is None:
        assert isinstance(result, Refusal)
        why = result.reason.zh
        assert "不能" in why or "取得公安备案号后才能" in why or "已注销" in why
    else:
        assert ok(result).to_status is dest and result.state.step.status is dest


def test_the_whole_procedure_with_reviewers_dates_each_next_step(pack: Pack) -> None:
    state = FilingState((LOCAL,))
    submitted = ok(go(pack, state, E.SUBMIT, on=dt.date(2026, 11, 27)))
    assert submitted.state.step.submitted_on == dt.date(2026, 11, 27)
    assert [n.to for n in submitted.notices] == [Audience.APPLICANT, Audience.REVIEWERS]
    assert "最迟于2026年12月4日（含当日）完成初审" in submitted.notices[0].text.zh
    assert ("initial_review", dt.date(2026, 12, 4)) in [
        (r.kind, r.due) for r in submitted.reminders
    ]
    assert ("filing", None) in [(r.kind, r.due) for r in submitted.reminders]  # cancelled
    passed = ok(go(pack, submitted.state, E.PASS_INITIAL_REVIEW, REVIEWER, on=dt.date(2026, 12, 2)))
    told = passed.notices[0].text.zh  # recorded on 12-10: the materials' day is gone
    assert "送材料的期限是2026年12月9日（含当日），已逾期1天：请尽快携带" in told
    assert pack.bureau.address.zh in told and "请最迟于" not in told
    assert "这一天已过，请登录系统查看结果" in submitted.notices[0].text.zh  # 12-04 is gone
    received = ok(go(pack, passed.state, E.RECEIVE_MATERIALS, REVIEWER, on=dt.date(2026, 12, 4)))
    assert "最迟于2026年12月9日（含当日）完成复审。这一天已过" in received.notices[0].text.zh
    bad = go(pack, received.state, E.CERTIFY, REVIEWER, psb_number="京公网安备123号")
    assert isinstance(bad, Refusal)
    done = ok(
        go(
            pack,
            received.state,
            E.CERTIFY,
            REVIEWER,
            psb_number="京公网安备 11010502030143 号",
            certificate="SL-2026-0012",
        )
    )
    step = done.state.step
    assert step.status is S.CERTIFIED and step.psb_number == "京公网安备11010502030143号"
    assert step.certificate_number == "SL-2026-0012"
    assert "京公网安备11010502030143号" in done.notices[0].text.zh


def test_a_return_needs_reasons_and_they_reach_the_applicant(pack: Pack) -> None:
    state = ok(go(pack, FilingState((LOCAL,)), E.SUBMIT)).state
    assert isinstance(go(pack, state, E.RETURN, REVIEWER), Refusal)
    returned = ok(go(pack, state, E.RETURN, REVIEWER, reasons=("网站名称与ICP备案不一致",)))
    assert "网站名称与ICP备案不一致" in returned.notices[0].text.zh
    assert returned.reason == "网站名称与ICP备案不一致"
    again = ok(go(pack, returned.state, E.RESUBMIT))
    assert again.to_status is S.RESUBMITTED and again.state.step.reasons == ()


def test_where_reviewers_decide_the_applicant_cannot_and_vice_versa(pack: Pack) -> None:
    state = ok(go(pack, FilingState((LOCAL,)), E.SUBMIT)).state
    assert isinstance(go(pack, state, E.PASS_INITIAL_REVIEW, APPLICANT), Refusal)
    # no reviewers registered: the applicant records the bureau's outcome, marked self-reported
    self_reported = ok(go(pack, state, E.PASS_INITIAL_REVIEW, APPLICANT, reviewers=False))
    assert self_reported.self_reported and self_reported.reason is not None
    assert "申请人自报" in self_reported.reason
    assert isinstance(go(pack, state, E.SUBMIT, REVIEWER), Refusal)  # not the applicant's


def test_a_two_bureau_filing_moves_to_its_second_step_once_certified(pack: Pack) -> None:
    state = FilingState((LOCAL, OUTSIDE))
    for event, actor, extra in (
        (E.SUBMIT, APPLICANT, {}),
        (E.PASS_INITIAL_REVIEW, REVIEWER, {}),
        (E.RECEIVE_MATERIALS, REVIEWER, {}),
        (E.CERTIFY, REVIEWER, {"psb_number": "京公网安备11010502030143号"}),
    ):
        decision = ok(go(pack, state, event, actor, **extra))
        state = decision.state
    assert state.current == 2 and state.step.status is S.PREPARED
    assert "下一步：到第2步" in decision.notices[0].text.zh
    assert ("second_bureau", 2) in [(r.kind, r.step) for r in decision.reminders]
    # this city's reviewers do not act on the bureau elsewhere: the applicant self-reports
    state = ok(go(pack, state, E.SUBMIT)).state
    assert isinstance(go(pack, state, E.PASS_INITIAL_REVIEW, REVIEWER), Refusal)
    outside = ok(go(pack, state, E.PASS_INITIAL_REVIEW, APPLICANT))
    assert outside.self_reported
    assert all(n.to is Audience.APPLICANT for n in outside.notices)  # no card for step 2
    assert isinstance(go(pack, state, E.SUBMIT, step=1), Refusal)  # step 1 is done


def test_next_actions_offer_only_what_the_role_may_do(pack: Pack) -> None:
    state = ok(go(pack, FilingState((LOCAL,)), E.SUBMIT)).state
    assert next_actions(state, Role.REVIEWER, True) == [E.PASS_INITIAL_REVIEW, E.RETURN]
    assert next_actions(state, Role.APPLICANT, True) == [E.CANCEL]
    assert next_actions(state, Role.APPLICANT, False) == [
        E.PASS_INITIAL_REVIEW,
        E.RETURN,
        E.CANCEL,
    ]


def test_a_date_in_the_future_is_refused(pack: Pack) -> None:
    result = go(pack, FilingState((LOCAL,)), E.SUBMIT, on=dt.date(2026, 12, 25))  # NOW: 12-10
    assert isinstance(result, Refusal) and "将来" in result.reason.zh


def test_the_deadline_running_now_follows_the_recorded_dates(pack: Pack) -> None:
    from rules.filing_life import next_deadline

    cal = WorkdayCalendar(pack.calendar)
    prepared = FilingState((LOCAL,), connection_date=dt.date(2026, 11, 20))
    assert next_deadline(prepared, pack, cal) == (t("提交期限", "submit by"), dt.date(2026, 12, 21))
    submitted = ok(go(pack, prepared, E.SUBMIT, on=dt.date(2026, 11, 27))).state
    label, due = next_deadline(submitted, pack, cal) or (None, None)
    assert label is not None and label.zh == "初审期限" and due == dt.date(2026, 12, 4)
    outside = FilingState((OUTSIDE,), current=2)
    assert next_deadline(ok(go(pack, outside, E.SUBMIT)).state, pack, cal) is None


def certified(pack: Pack, *steps: StepState) -> FilingState:
    done = [
        replace(s, status=S.CERTIFIED, certified_on=dt.date(2026, 11, 2),
                psb_number="京公网安备11010502030143号")
        for s in steps
    ]  # fmt: skip
    return FilingState(tuple(done), current=done[-1].order)


def test_a_change_of_a_certified_filing_is_reported_to_its_bureau_with_a_deadline(
    pack: Pack,
) -> None:
    state = certified(pack, LOCAL)
    detail = t("• IP地址：1.2.3.4 → 47.96.10.21", "• IPs: 1.2.3.4 → 47.96.10.21")
    card = t("• 手机：*******9001", "• Mobile: *******9001")
    decision = ok(
        go(pack, state, E.REPORT_CHANGE, on=dt.date(2026, 12, 1), reason="更换服务器",
           detail=detail, card_detail=card)
    )  # fmt: skip
    assert decision.to_status is S.CHANGE_REPORTED
    due = pack.periods.change_report.days  # calendar days from the change
    due_day = dt.date(2026, 12, 1) + dt.timedelta(days=due)
    assert ("change", 1, due_day) in [(r.kind, r.step, r.due) for r in decision.reminders]
    to_applicant, card_notice = decision.notices
    assert to_applicant.to is Audience.APPLICANT and "47.96.10.21" in to_applicant.text.zh
    due_text = f"最迟于{due_day.year}年{due_day.month}月{due_day.day}日（含当日）"
    assert due_text in to_applicant.text.zh
    assert card_notice.to is Audience.REVIEWERS and "*******9001" in card_notice.text.zh
    assert "47.96.10.21" not in card_notice.text.zh  # reviewers read the masked card
    assert decision.reason == "变更：更换服务器"


def test_a_changes_days_left_count_from_the_frozen_today_not_the_clock(pack: Pack) -> None:
    """BEIAN_TODAY freezes the day the chat counts from: 30 days left on the change day."""
    state = certified(pack, LOCAL)
    frozen = dt.date(2026, 12, 1)
    decision = decide(
        state,
        ReportChange(actor=APPLICANT, on=frozen, reason="更换服务器"),
        pack=pack,
        calendar=WorkdayCalendar(pack.calendar),
        now=NOW,  # nine days later on the wall clock
        reviewers=True,
        today=frozen,
    )
    assert isinstance(decision, Decision)
    told = decision.notices[0].text
    assert "还剩30天" in told.zh and "30 days left" in told.en


def test_a_change_needs_a_certified_step_a_reason_and_a_past_date(pack: Pack) -> None:
    submitted = FilingState((replace(LOCAL, status=S.SUBMITTED),))
    refused = go(pack, submitted, E.REPORT_CHANGE, reason="更换服务器")
    assert isinstance(refused, Refusal) and "取得公安备案号后" in refused.reason.zh
    state = certified(pack, LOCAL)
    no_reason = go(pack, state, E.REPORT_CHANGE, reason=" ")
    assert isinstance(no_reason, Refusal) and "原因" in no_reason.reason.zh
    future = go(pack, state, E.REPORT_CHANGE, on=NOW.date() + dt.timedelta(days=3), reason="x")
    assert isinstance(future, Refusal) and "将来" in future.reason.zh
    by_reviewer = go(pack, state, E.REPORT_CHANGE, REVIEWER, reason="x")
    assert isinstance(by_reviewer, Refusal)
    cancelled = FilingState((replace(LOCAL, status=S.CANCELLED),))
    assert isinstance(go(pack, cancelled, E.REPORT_CHANGE, reason="x"), Refusal)


def test_a_reviewed_change_keeps_the_number_and_stops_the_change_reminders(pack: Pack) -> None:
    changed = ok(go(pack, certified(pack, LOCAL), E.REPORT_CHANGE, reason="更换服务器")).state
    accepted = ok(go(pack, changed, E.CERTIFY, REVIEWER))  # no number typed: it keeps its own
    assert accepted.to_status is S.CERTIFIED
    assert accepted.state.step.psb_number == "京公网安备11010502030143号"
    assert ("change", None) in [(r.kind, r.due) for r in accepted.reminders]
    assert "icon" not in [r.kind for r in accepted.reminders]  # the icon is up already
    assert "变更" in accepted.notices[0].text.zh


def test_a_change_while_the_second_bureau_is_in_progress_goes_to_the_certified_one(
    pack: Pack,
) -> None:
    first = replace(LOCAL, status=S.CERTIFIED, psb_number="京公网安备11010502030143号")
    state = FilingState((first, replace(OUTSIDE, status=S.SUBMITTED)), current=2)
    decision = ok(go(pack, state, E.REPORT_CHANGE, reason="更换负责人"))
    assert [s.status for s in decision.state.steps] == [S.CHANGE_REPORTED, S.SUBMITTED]
    assert decision.to_status is S.SUBMITTED  # the step in progress is untouched
    assert [n.to for n in decision.notices] == [Audience.APPLICANT, Audience.REVIEWERS]


def _first_certified_second_submitted(pack: Pack) -> FilingState:
    """Step 1 (this city's) certified, step 2 (elsewhere) submitted: a two-bureau route."""
    state = FilingState((LOCAL, OUTSIDE))
    for event, actor, extra in (
        (E.SUBMIT, APPLICANT, {}),
        (E.PASS_INITIAL_REVIEW, REVIEWER, {}),
        (E.RECEIVE_MATERIALS, REVIEWER, {}),
        (E.CERTIFY, REVIEWER, {"psb_number": "京公网安备11010502030143号"}),
        (E.SUBMIT, APPLICANT, {}),
    ):
        state = ok(go(pack, state, event, actor, **extra)).state
    return state


def test_a_closed_site_cancels_every_step_and_names_the_bureaus_told(pack: Pack) -> None:
    state = _first_certified_second_submitted(pack)
    decision = ok(go(pack, state, E.CANCEL, reason="网站已关闭"))
    assert [s.status for s in decision.state.steps] == [S.CANCELLED, S.CANCELLED]
    told = decision.notices[0].text
    assert "每一步都已注销" in told.zh and LOCAL.bureau.zh in told.zh
    assert OUTSIDE.bureau.zh in told.zh  # filed there too: it gets the statement
    assert {(r.kind, r.step) for r in decision.reminders} >= {("icon", 1), ("filing", 2)}
    assert isinstance(go(pack, decision.state, E.CANCEL, reason="again"), Refusal)


def test_a_change_on_the_first_step_is_reviewed_while_the_second_is_in_progress(
    pack: Pack,
) -> None:
    """The first bureau reviews a reported change though step 2 is the one in progress."""
    state = _first_certified_second_submitted(pack)
    changed = ok(go(pack, state, E.REPORT_CHANGE, on=NOW.date(), reason="更换服务器")).state
    assert changed.steps[0].status is S.CHANGE_REPORTED and changed.current == 2
    assert E.CERTIFY in next_actions(changed, Role.REVIEWER, True)  # the card has buttons
    assert E.RETURN in next_actions(changed, Role.REVIEWER, True)
    accepted = ok(go(pack, changed, E.CERTIFY, REVIEWER))
    assert accepted.state.steps[0].status is S.CERTIFIED
    assert accepted.state.steps[0].psb_number == "京公网安备11010502030143号"  # kept
    assert accepted.state.steps[1].status is S.SUBMITTED and accepted.state.current == 2
    assert "已审核通过这次变更" in accepted.notices[0].text.zh
    # the applicant's own next acts are still on step 2
    assert E.PASS_INITIAL_REVIEW in next_actions(accepted.state, Role.APPLICANT, True)


def test_an_event_dated_before_the_steps_last_one_is_refused(pack: Pack) -> None:
    """`filings record 2 initial-passed --on 2026-11-01` after a submission on 12-01 was taken:
    the deadlines and the audit trail are built from these dates."""
    day = NOW.date()
    submitted = ok(go(pack, FilingState((LOCAL,)), E.SUBMIT, on=day)).state
    earlier = go(pack, submitted, E.PASS_INITIAL_REVIEW, REVIEWER, on=day - dt.timedelta(days=3))
    assert isinstance(earlier, Refusal) and "不能早于" in earlier.reason.zh
    same_day = go(pack, submitted, E.PASS_INITIAL_REVIEW, REVIEWER, on=day)
    assert isinstance(same_day, Decision)
    closed = go(pack, submitted, E.CANCEL, on=day - dt.timedelta(days=3), reason="网站已关闭")
    assert isinstance(closed, Decision)  # the site may have closed before the last record


def test_outcomes_recorded_on_their_day_give_the_days_to_come(pack: Pack) -> None:
    """Recorded the day they happen, the notices give the next deadline as one to meet."""
    cal = WorkdayCalendar(pack.calendar)

    def on_the_day(state: FilingState, event: str, day: dt.date, actor: Actor) -> Decision:
        decided = decide(state, _event(event, actor, day, psb_number=None), pack=pack,
                         calendar=cal, now=NOW, reviewers=True, today=day)  # fmt: skip
        return ok(decided)

    submitted = on_the_day(FilingState((LOCAL,)), E.SUBMIT, dt.date(2026, 11, 27), APPLICANT)
    assert "请届时登录系统查看结果" in submitted.notices[0].text.zh
    passed = on_the_day(submitted.state, E.PASS_INITIAL_REVIEW, dt.date(2026, 12, 2), REVIEWER)
    told = passed.notices[0].text.zh
    assert "请最迟于2026年12月9日（含当日）携带" in told and "逾期" not in told
    received = on_the_day(passed.state, E.RECEIVE_MATERIALS, dt.date(2026, 12, 4), REVIEWER)
    assert "已过" not in received.notices[0].text.zh


def test_a_certificate_number_of_two_lines_or_too_long_is_refused_not_cut(pack: Pack) -> None:
    """The desk, the chat and WeChat cut it at 64 characters and kept a line break."""
    received = FilingState((replace(LOCAL, status=S.MATERIALS_RECEIVED),))
    psb = "京公网安备11010502030143号"
    for certificate in ("SL\n9", "S" * 65):
        refused = go(pack, received, E.CERTIFY, REVIEWER, psb_number=psb, certificate=certificate)
        assert isinstance(refused, Refusal) and "备案证编号应为一行" in refused.reason.zh
    done = ok(go(pack, received, E.CERTIFY, REVIEWER, psb_number=psb, certificate="S" * 64))
    assert done.state.step.certificate_number == "S" * 64


def test_a_second_step_is_not_submitted_before_the_first_was_certified(pack: Pack) -> None:
    """Step 2's submission was taken dated before the site went online and before step 1 was
    even submitted."""
    first = replace(LOCAL, status=S.CERTIFIED, submitted_on=dt.date(2026, 11, 2),
                    certified_on=dt.date(2026, 11, 20))  # fmt: skip
    second = StepState(2, False, t("杭州网安", "Hangzhou"), S.PREPARED)
    state = FilingState((first, second), current=2)
    early = go(pack, state, E.SUBMIT, on=dt.date(2026, 11, 1))
    assert isinstance(early, Refusal) and "不能早于第1步发证的日期（2026-11-20）" in early.reason.zh
    assert ok(go(pack, state, E.SUBMIT, on=dt.date(2026, 11, 20))).state.step.order == 2


@pytest.mark.parametrize("blank", ["   ", "\u200b", "\u3000", ""])
def test_a_return_needs_reasons_with_words_not_spaces(pack: Pack, blank: str) -> None:
    """A typed reason of spaces was a return 「原因：。」 to the applicant."""
    submitted = ok(go(pack, FilingState((LOCAL,)), E.SUBMIT)).state
    refused = go(pack, submitted, E.RETURN, REVIEWER, reasons=(blank,))
    assert isinstance(refused, Refusal) and "须写明原因" in refused.reason.zh
    done = ok(go(pack, submitted, E.RETURN, REVIEWER, reasons=(" 材料不清晰 ", blank)))
    assert done.state.step.reasons == ("材料不清晰",) and done.reason == "材料不清晰"
    assert any("原因：材料不清晰。" in n.text.zh for n in done.notices)


def test_a_change_accepted_keeps_the_day_the_step_was_certified(pack: Pack) -> None:
    """/status said 「第1步已于<the change accepted's day>发证」 after the change accepted;
    it was certified earlier."""
    state = FilingState((LOCAL,))
    for event, on in ((E.SUBMIT, "2026-11-10"), (E.PASS_INITIAL_REVIEW, "2026-11-11"),
                      (E.RECEIVE_MATERIALS, "2026-11-14"), (E.CERTIFY, "2026-11-17")):  # fmt: skip
        actor = APPLICANT if event is E.SUBMIT else REVIEWER
        state = ok(go(pack, state, event, actor, on=dt.date.fromisoformat(on),
                      psb_number="京公网安备11010502030143号")).state  # fmt: skip
    changed = ok(go(pack, state, E.REPORT_CHANGE, on=dt.date(2026, 11, 20), reason="换服务器"))
    accepted = ok(go(pack, changed.state, E.CERTIFY, REVIEWER, on=dt.date(2026, 11, 23)))
    assert accepted.state.step.certified_on == dt.date(2026, 11, 17)
    assert accepted.state.step.psb_number == "京公网安备11010502030143号"
