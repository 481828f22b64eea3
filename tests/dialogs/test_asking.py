"""Asking, alone on a bare core: how a question, a list being gathered, the summary and a
registered aside are put into lines and choices."""

from __future__ import annotations

from dataclasses import replace

from dialogs import texts
from dialogs.asking import CONFIRM, DONE, KEEP, SECTION_PREFIX, SKIP, picked
from dialogs.engine import Turn
from dialogs.model import DATA_STAGES, Choice, Context, Input, InterviewState, Mode, Stage
from dialogs.review import summary_lines
from dialogs.turn import Core
from tests.dialogs.parts import at_summary


def test_a_question_is_asked_with_its_progress_prompt_and_numbered_options(
    context: Context,
) -> None:
    core = Core(InterviewState(state=Stage.SUBJECT_TYPE, question="subject_type"), context)
    core.ask()
    (reply,) = core.replies
    q = core.spec.by_id["subject_type"]
    section = core.spec.stage_labels[Stage.SUBJECT_TYPE].zh
    assert reply.text.splitlines()[:2] == [f"第1/{len(DATA_STAGES)}步 · {section}", q.prompt.zh]
    assert [c.id for c in reply.choices] == [o.id for o in q.options]
    assert [c.number for c in reply.choices] == list(range(1, len(q.options) + 1))
    assert reply.question == "1" and core.s.asked == 1  # a button answers this asking only


def test_an_answered_question_shows_its_answer_to_keep_and_an_optional_one_can_be_skipped(
    context: Context,
) -> None:
    state = InterviewState(
        state=Stage.SUBJECT,
        question="phone",
        answers={"subject_type": "enterprise", "subject.phone": "0571-88886666"},
    )
    core = Core(state, context)
    core.ask()
    (reply,) = core.replies
    assert "当前答案：0571-88886666" in reply.text
    assert [c.id for c in reply.choices][-2:] == [KEEP, SKIP]


def test_options_toggled_so_far_are_ticked_while_gathering(context: Context) -> None:
    state = InterviewState(
        state=Stage.WEBSITE,
        mode=Mode.COLLECTING,
        question="languages",
        answers={"subject_type": "enterprise"},
        collecting=["en"],
    )
    core = Core(state, context)
    choices = core.asking.asking(lines := [])
    ticked = [c.id for c in choices if c.label.startswith("✅ ")]
    assert ticked == ["en"]
    assert choices[-1].id == DONE
    assert any(line.startswith("已选：") for line in lines)


def test_the_summary_offers_confirm_then_each_answered_section_numbered_from_two(
    context: Context,
) -> None:
    core = Core(at_summary(context), context)
    choices = core.asking.asking(lines := [])
    assert lines[0] == texts.SUMMARY_HEAD.zh
    assert "示例云帆科技有限公司" in "\n".join(lines)
    assert choices[0] == Choice(CONFIRM, texts.CONFIRM.zh, 1)
    sections = choices[1:]
    assert all(c.id.startswith(SECTION_PREFIX) for c in sections)
    assert [c.number for c in sections] == list(range(2, 2 + len(sections)))
    assert SECTION_PREFIX + Stage.WEBSITE.value in {c.id for c in sections}


def test_the_summary_names_characters_the_documents_cannot_draw(context: Context) -> None:
    state = at_summary(context)
    state.answers["subject.address"] = "示例路𠀀号"
    drawn = replace(
        context, undrawable=lambda strings: [c for s in strings for c in s if c == "𠀀"]
    )
    core = Core(state, drawn)
    lines: list[str] = []
    core.asking.asking(lines)
    assert texts.UNDRAWABLE.fill("zh", chars="𠀀") in lines


class _Cancelling:
    """The least an aside's owner is: it asks the aside and reads its answer."""

    def __init__(self, core: Core) -> None:
        self.core, self.heard = core, []
        core.asides[Mode.CONFIRMING_CANCEL] = self

    def ask_aside(self, lines: list[str]) -> list[Choice]:
        lines.append("确定取消吗？")
        return [Choice("no", "不")]

    def resolve_aside(self, inp: Input) -> None:
        self.heard.append(inp)


def test_an_aside_is_asked_and_answered_by_the_owner_that_registered_it(
    context: Context,
) -> None:
    core = Core(InterviewState(state=Stage.SUBJECT_TYPE, question="subject_type"), context)
    owner = _Cancelling(core)
    core.open_aside("ask_cancel")
    assert core.s.mode is Mode.CONFIRMING_CANCEL
    assert core.replies[-1].text == "确定取消吗？"
    assert [c.id for c in core.replies[-1].choices] == ["no"]
    core.resolve(Input.typed("不"))
    assert owner.heard == [Input.typed("不")]


def test_a_paused_interview_asks_nothing(context: Context) -> None:
    state = InterviewState(state=Stage.SUBJECT_TYPE, question="subject_type", mode=Mode.PAUSED)
    core = Core(state, context)
    assert core.asking.asking(lines := []) == [] and lines == []


def test_an_option_is_picked_by_its_button_or_its_exact_words_only(context: Context) -> None:
    options = Core(InterviewState(), context).spec.by_id["interactive"].options
    assert picked(options, Input(choice="yes")) == "yes"
    assert picked(options, Input.typed("否")) == "no"
    assert picked(options, Input(choice="maybe")) is None
    assert picked(options, Input.typed("也许吧")) is None


def test_every_aside_of_a_turn_has_one_owner(context: Context) -> None:
    turn = Turn(InterviewState(), context)
    owned = set(turn.core.asides)
    assert owned == set(Mode) - {Mode.ANSWERING, Mode.COLLECTING, Mode.PAUSED}
    parts = (turn.editing, turn.photos, turn.asides, turn.changing)
    assert sorted(m for p in parts for m in p.MODES) == sorted(owned)  # none claimed twice


def test_the_summary_names_a_government_body_s_organisation_code_as_such(
    context: Context,
) -> None:
    """The question asks for the credit code or, for a government body, the older
    organisation code: the summary names the one given, as the form does."""
    spec = Core(InterviewState(state=Stage.SUBJECT_TYPE, question="subject_type"), context).spec
    answers = {
        "subject_type": "government",
        "subject.name": "示例市图书馆",
        "subject.credential_number": "12345678-8",
    }
    lines = summary_lines(answers, spec, "zh")
    assert "  组织机构代码：12345678-8" in lines
    assert not any(line.startswith("  统一社会信用代码") for line in lines)
    assert "  Organisation code: 12345678-8" in summary_lines(answers, spec, "en")
    answers["subject.credential_number"] = "12330100MB1234567B"
    assert "  统一社会信用代码：12330100MB1234567B" in summary_lines(answers, spec, "zh")
