"""Asides, alone on a bare core (with the answering an edited message or a planned day goes
to): each confirmation is asked, read strictly, and acted on."""

from __future__ import annotations

from dialogs import texts
from dialogs.answering import Answering
from dialogs.asides import Asides
from dialogs.model import Cancel, Context, Input, InterviewState, Mode, Resume, Stage
from dialogs.turn import Core
from tests.dialogs.parts import said


def _asides(context: Context, state: InterviewState) -> Core:
    core = Core(state, context)
    Asides(core, Answering(core))
    return core


def _subject(**more: object) -> InterviewState:
    answers = {"subject_type": "enterprise", "subject.name": "示例云帆科技有限公司", **more}
    return InterviewState(
        state=Stage.SUBJECT, question="credential", answers=answers, history=["subject_name"]
    )


def test_cancel_keeping_the_answers_pauses(context: Context) -> None:
    core = _asides(context, _subject())
    core.open_aside("ask_cancel")
    assert texts.CANCEL_ASK.zh in said(core)
    core.resolve(Input.typed("保留"))
    assert core.s.mode is Mode.PAUSED and core.s.answers["subject.name"]
    assert core.effects == [Cancel(delete=False)]
    assert texts.CANCELLED.zh in said(core)


def test_cancel_deleting_leaves_a_blank_interview(context: Context) -> None:
    core = _asides(context, _subject())
    core.open_aside("ask_cancel")
    core.resolve(Input.typed("删除"))
    assert core.s == InterviewState()
    assert core.effects == [Cancel(delete=True)]


def test_a_near_guess_is_not_taken_the_question_is_asked_again(context: Context) -> None:
    core = _asides(context, _subject())
    core.open_aside("ask_restart")
    core.resolve(Input.typed("大概吧"))
    assert core.s.mode is Mode.CONFIRMING_RESTART and core.s.answers["subject.name"]
    assert texts.CHOICE_AGAIN.zh in said(core)
    assert texts.RESTART_ASK.zh in core.replies[-1].text


def test_restart_begins_again_and_keeps_counting_askings(context: Context) -> None:
    core = _asides(context, _subject())
    core.open_aside("ask_restart")
    asked = core.s.asked
    core.resolve(Input.typed("确定"))
    assert core.s.answers == {} and core.s.state is Stage.SUBJECT_TYPE
    assert core.s.asked == asked + 1  # an older button stays stale
    assert texts.WELCOME.zh in said(core)


def test_resume_goes_on_where_the_interview_stopped(context: Context) -> None:
    core = _asides(context, _subject())
    core.open_aside("offer_resume")
    assert texts.RESUME_ASK.fill("zh", where=core.where()) in said(core)
    core.resolve(Input.typed("继续"))
    assert core.effects == [Resume()]
    assert core.s.mode is Mode.ANSWERING and core.s.question == "credential"


def test_start_over_at_the_resume_offer_asks_before_clearing_the_answers(
    context: Context,
) -> None:
    """A stray "2" (a pasted answer list's next line) at the resume offer cleared every answer
    without a word; it now asks as /restart does, and "no" keeps them all."""
    core = _asides(context, _subject())
    answers = dict(core.s.answers)
    core.open_aside("offer_resume")
    core.resolve(Input.typed("2"))  # 重新开始, by its number
    assert core.s.mode is Mode.CONFIRMING_RESTART and core.s.answers == answers
    assert texts.RESTART_ASK.zh in core.replies[-1].text
    core.resolve(Input.typed("不"))
    assert core.s.answers == answers and core.s.question == "credential"
    core.open_aside("offer_resume")
    core.resolve(Input.typed("重新开始"))
    core.resolve(Input.typed("确定"))
    assert core.s.answers == {} and core.s.state is Stage.SUBJECT_TYPE


def test_an_edited_message_used_answers_its_question_again(context: Context) -> None:
    core = _asides(context, _subject())
    core.s.pending_text = "示例海帆科技有限公司"
    core.open_aside("offer_edit")
    assert "示例海帆科技有限公司" in said(core)
    core.resolve(Input.typed("用新内容"))
    assert core.s.answers["subject.name"] == "示例海帆科技有限公司"
    assert core.s.question == "credential"  # and on from there


def test_a_planned_go_live_is_stored_and_the_connection_left_open(context: Context) -> None:
    state = InterviewState(
        state=Stage.CONNECTION_DATE,
        question="connection_date",
        answers={"subject_type": "enterprise"},
    )
    core = _asides(context, state)
    core.s.pending_text = "2026-12-15"
    core.open_aside("confirm_plan")
    assert "2026年12月15日还没到" in said(core)
    core.resolve(Input.typed("是"))
    assert core.s.answers["planned_online_date"] == "2026-12-15"
    assert core.s.answers["connection_date"] is None
    assert core.s.mode is Mode.ANSWERING and core.s.state is Stage.SUBJECT


def test_a_suggested_place_is_taken_by_its_number(context: Context) -> None:
    state = InterviewState(
        state=Stage.SERVER,
        question="server_city",
        answers={"subject_type": "enterprise", "maintenance": "local", "server": "elsewhere"},
    )
    core = _asides(context, state)
    core.s.choices, core.s.pending_text = ["杭州", "沧州"], "航州"
    core.open_aside("suggest")
    assert [c.label for c in core.replies[-1].choices] == ["杭州", "沧州"]
    core.resolve(Input.typed("1"))
    assert core.s.answers["server_city"] == "杭州"
    assert core.s.mode is Mode.ANSWERING and core.s.choices is None
