"""Commands, alone on a bare core (with the answering and editing they hand /skip and /edit
to): the words that mean a command, and what each command does where it is sent."""

from __future__ import annotations

import pytest

from dialogs import texts
from dialogs import texts_reopened as reopened
from dialogs.answering import Answering
from dialogs.commands import Command, CommandCall, Commands, read_command
from dialogs.editing import Editing
from dialogs.model import DATA_STAGES, Context, InterviewState, Mode, Stage
from dialogs.turn import Core
from tests.dialogs.parts import at_summary, said


def _commands(context: Context, state: InterviewState) -> tuple[Core, Commands]:
    core = Core(state, context)
    answering = Answering(core)
    return core, Commands(core, answering, Editing(core, answering))


def _run(context: Context, state: InterviewState, text: str) -> Core:
    core, commands = _commands(context, state)
    call = read_command(text)
    assert call is not None, text
    commands.command(call)
    return core


def _subject() -> InterviewState:
    return InterviewState(
        state=Stage.SUBJECT,
        question="credential",
        answers={"subject_type": "enterprise", "subject.name": "示例云帆科技有限公司"},
        history=["subject_type", "subject_name"],
    )


@pytest.mark.parametrize(
    ("text", "call"),
    [
        ("上一步", CommandCall(Command.BACK, "")),
        ("／ＨＥＬＰ", CommandCall(Command.HELP, "")),
        ("/help@beian_bot", CommandCall(Command.HELP, "")),
        ("修改域名", CommandCall(Command.EDIT, "域名")),
        ("/edit 安全负责人", CommandCall(Command.EDIT, "安全负责人")),
        ("取消。", CommandCall(Command.CANCEL, "")),
    ],
)
def test_the_words_that_mean_a_command(text: str, call: CommandCall) -> None:
    assert read_command(text) == call


def test_words_that_are_answers_are_not_commands() -> None:
    assert read_command("示例云帆科技有限公司") is None
    assert read_command("/nosuchcommand") is None


def test_back_asks_the_question_before_with_its_answer_kept(context: Context) -> None:
    core = _run(context, _subject(), "/back")
    assert core.s.question == "subject_name"
    assert core.s.answers["subject.name"] == "示例云帆科技有限公司"
    assert "当前答案：示例云帆科技有限公司" in said(core)


def test_back_at_the_first_question_says_so(context: Context) -> None:
    state = InterviewState(state=Stage.SUBJECT_TYPE, question="subject_type")
    core = _run(context, state, "/back")
    assert texts.FIRST_QUESTION.zh in said(core) and core.s.question == "subject_type"


def test_lang_switches_and_asks_again_in_english(context: Context) -> None:
    core = _run(context, _subject(), "/lang en")
    assert core.s.lang == "en"
    assert texts.SWITCHED.en in said(core)
    assert core.spec.by_id["credential"].prompt.en.split("\n")[0][:20] in said(core)


def test_help_gives_the_question_s_help_example_and_the_commands(context: Context) -> None:
    core = _run(context, _subject(), "帮助")
    q = core.question()
    assert q is not None
    text = core.replies[0].text
    assert q.help.zh in text and q.example.zh in text
    assert texts.COMMANDS.fill("zh", close=reopened.CLOSE_IN_CHAT.zh) in text


def test_status_counts_the_answers_and_names_the_step(context: Context) -> None:
    core = _run(context, _subject(), "/status")
    k = DATA_STAGES.index(Stage.SUBJECT) + 1
    expected = texts.STATUS.fill(
        "zh", k=k, n=len(DATA_STAGES), stage=core.stage_label(), answered=2
    )
    assert core.replies[0].text.startswith(expected)


def test_status_at_the_summary_is_short_with_the_summary_s_buttons(context: Context) -> None:
    core = _run(context, at_summary(context), "/status")
    (reply,) = core.replies
    assert reply.text == texts.SUMMARY_STATUS.zh
    assert reply.choices[0].id == "confirm" and len(reply.choices) > 1


def test_skip_of_a_required_question_is_refused(context: Context) -> None:
    core = _run(context, _subject(), "跳过")
    assert texts.NOT_OPTIONAL.zh in said(core)


def test_cancel_opens_its_confirmation(context: Context) -> None:
    state = _subject()
    state.mode, state.collecting = Mode.COLLECTING, ["x"]
    core = _run(context, state, "/cancel")
    assert core.s.mode is Mode.CONFIRMING_CANCEL and core.s.collecting is None


def test_start_with_answers_offers_to_resume(context: Context) -> None:
    core = _run(context, _subject(), "/start")
    assert core.s.mode is Mode.OFFERING_RESUME
