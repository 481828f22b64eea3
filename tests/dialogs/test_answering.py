"""Answering, alone on a bare core: an input becomes the current question's answer, or is
refused with the reason and an example; then the interview moves to the next question."""

from __future__ import annotations

from dialogs import texts
from dialogs.answering import Answering
from dialogs.asking import DONE, SKIP
from dialogs.model import Context, Input, InterviewState, Mode, Stage
from dialogs.turn import Core
from tests.dialogs.parts import at_summary, said


def _at(context: Context, question: str, stage: Stage, **answers: object) -> Core:
    return Core(InterviewState(state=stage, question=question, answers=dict(answers)), context)


def test_a_typed_option_is_stored_echoed_and_the_next_question_asked(context: Context) -> None:
    core = _at(context, "subject_type", Stage.SUBJECT_TYPE)
    Answering(core).answer(Input.typed("企业"))
    assert core.s.answers["subject_type"] == "enterprise"
    assert core.s.history == ["subject_type"]
    assert core.s.question == "maintenance" and core.s.state is Stage.MAINTENANCE
    text = said(core)
    assert "✔ 企业" in text
    assert core.spec.by_id["maintenance"].prompt.zh in text


def test_a_wrong_answer_is_refused_with_its_reason_and_an_example(context: Context) -> None:
    core = _at(context, "rep_mobile", Stage.SUBJECT, subject_type="enterprise")
    Answering(core).answer(Input.typed("12345"))
    assert "subject.responsible.mobile" not in core.s.answers
    assert core.s.question == "rep_mobile"
    (reply,) = core.replies
    assert reply.text.startswith("这个答案不对：")
    example = core.spec.by_id["rep_mobile"].example.zh
    assert texts.TRY_AGAIN.fill("zh", example=texts.EXAMPLE.fill("zh", example=example)) in (
        reply.text
    )


def test_a_list_is_gathered_one_value_at_a_time_until_done(context: Context) -> None:
    core = _at(context, "domains", Stage.WEBSITE, subject_type="enterprise")
    answering = Answering(core)
    answering.answer(Input.typed("www.example.cn"))
    assert core.s.mode is Mode.COLLECTING and core.s.collecting == ["www.example.cn"]
    answering.answer(Input.typed("example.cn"))
    assert "website.domains" not in core.s.answers
    answering.answer(Input(choice=DONE))
    assert core.s.answers["website.domains"] == ["www.example.cn", "example.cn"]
    assert core.s.mode is Mode.ANSWERING and core.s.collecting is None
    assert core.s.question == "registrars"
    assert "✔ 已记录：www.example.cn、example.cn" in said(core)


def test_a_required_question_cannot_be_skipped_an_optional_one_can(context: Context) -> None:
    core = _at(context, "subject_name", Stage.SUBJECT, subject_type="enterprise")
    Answering(core).answer(Input(choice=SKIP))
    assert texts.NOT_OPTIONAL.zh in said(core) and core.s.question == "subject_name"
    core = _at(context, "phone", Stage.SUBJECT, subject_type="enterprise")
    Answering(core).answer(Input(choice=SKIP))
    assert "subject.phone" in core.s.answers and core.s.answers["subject.phone"] is None
    assert core.s.question != "phone"


def test_a_go_live_date_to_come_waits_for_the_planned_day_to_be_confirmed(
    context: Context,
) -> None:
    core = _at(context, "connection_date", Stage.CONNECTION_DATE, subject_type="enterprise")
    Answering(core).answer(Input.typed("2026-12-15"))
    assert core.s.mode is Mode.CONFIRMING_PLAN and core.s.pending_text == "2026-12-15"
    assert "connection_date" not in core.s.answers


def test_another_subject_type_drops_a_credential_of_the_old_kind(context: Context) -> None:
    state = at_summary(context)
    core = Core(state, context)
    core.go_to(core.spec.by_id["subject_type"])
    Answering(core).answer(Input.typed("个人"))
    assert core.s.answers["subject_type"] == "individual"
    assert "subject.credential_number" not in core.s.answers
    assert "subject.name" not in core.s.answers
    assert core.s.question == "subject_name"  # asked again, the rest kept


def test_the_last_answer_leads_to_the_summary(context: Context) -> None:
    state = at_summary(context)
    del state.answers["emergency_contact.email"]
    core = Core(state, context)
    core.go_to(core.spec.by_id["contact_email"])
    Answering(core).answer(Input.typed("duty@yunfan.example.cn"))
    assert core.s.state is Stage.SUMMARY and core.s.question is None
    assert texts.SUMMARY_HEAD.zh in said(core)
