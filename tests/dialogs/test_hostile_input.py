"""What must never become an answer: edits, vague yes/no, broken or invisible characters,
endless lists — each refused with a reason, nothing already entered lost."""

from __future__ import annotations

import dataclasses

import pytest

from dialogs.engine import handle
from dialogs.model import Context, Input, Stage
from documents.fonts import coverage, covered_codepoints
from tests.dialogs.conftest import Run, shown
from tests.dialogs.transcripts import ENTERPRISE, INDIVIDUAL


def _before(said: str) -> list[tuple[str, object]]:
    """The enterprise transcript up to (not including) the answer `said`."""
    return list(ENTERPRISE[: next(i for i, (s, _) in enumerate(ENTERPRISE) if s == said)])


AT_INTERACTIVE = _before("没有")  # the next question: does the site offer interactive services?
AT_UNIT_NAME = ENTERPRISE.until("subject_name")  # the next question: the unit's full name
AT_DOMAINS = _before("www.yunfan.example.cn、yunfan.example.cn")
AT_IPS = _before("47.96.12.34")


def test_an_edited_message_is_not_an_answer(run: Run, context: Context) -> None:
    state, _, _ = run(AT_UNIT_NAME)
    step = handle(state, Input.edit_of("old-message", "本市"), context)
    text = shown(step)
    assert "修改过的消息不会被读取" in text
    assert "开办单位的全称" in text  # the question is asked again
    assert "subject.name" not in step.state.answers
    assert step.state.question == state.question


def test_editing_the_last_answer_offers_its_new_text(run: Run, context: Context) -> None:
    state, _, _ = run(AT_UNIT_NAME)
    named = handle(state, Input.typed("示例云帆科技有限公司", ref="m7"), context).state
    offer = handle(named, Input.edit_of("m7", "示例云帆信息技术有限公司"), context)
    assert "要改用新的内容“示例云帆信息技术有限公司”吗" in shown(offer)
    assert offer.state.answers["subject.name"] == "示例云帆科技有限公司"  # not yet
    used = handle(offer.state, Input.typed("用新内容"), context)
    assert used.state.answers["subject.name"] == "示例云帆信息技术有限公司"
    assert "统一社会信用代码" in shown(used)  # back at the question it was waiting for
    declined = handle(offer.state, Input.typed("不用"), context)
    assert declined.state.answers["subject.name"] == "示例云帆科技有限公司"


@pytest.mark.parametrize(
    "said",
    ["不知道", "ok", "maybe", "'; DROP TABLE filing; --", "../../tmp/pwned", "是否", "差不多"],
)
def test_only_a_clear_yes_or_no_answers_the_interactive_question(
    run: Run, context: Context, said: str
) -> None:
    state, _, _ = run(AT_INTERACTIVE)  # type: ignore[arg-type]
    assert state.question == "interactive"
    step = handle(state, Input.typed(said), context)
    assert "请回答“是”或“否”" in shown(step)
    assert "website.interactive" not in step.state.answers
    assert step.state.question == "interactive"


@pytest.mark.parametrize(
    ("said", "value"), [("是", True), ("有", True), ("否", False), ("2", False)]
)
def test_a_clear_yes_or_no_is_taken(run: Run, context: Context, said: str, value: bool) -> None:
    state, _, _ = run(AT_INTERACTIVE)  # type: ignore[arg-type]
    assert handle(state, Input.typed(said), context).state.answers["website.interactive"] is value


def test_a_list_longer_than_the_form_allows_is_refused_at_the_question(
    run: Run, context: Context
) -> None:
    state, _, _ = run(AT_DOMAINS)  # type: ignore[arg-type]
    assert state.question == "domains"
    many = "、".join(f"d{i}.example.cn" for i in range(10_000))
    step = handle(state, Input.typed(many), context)
    assert "最多可以填写50项" in shown(step)
    assert "website.domains" not in step.state.answers
    status = handle(step.state, Input.typed("/status"), context)
    assert len(shown(status)) < 2000


def test_one_by_one_a_list_stops_at_the_limit(run: Run, context: Context) -> None:
    state, _, _ = run(AT_IPS)  # type: ignore[arg-type]  # the IPs, collected one by one
    for i in range(50):
        state = handle(state, Input.typed(f"47.96.1.{i + 1}"), context).state
    step = handle(state, Input.typed("47.96.2.1"), context)
    assert "最多可以填写50项" in shown(step)
    assert len(step.state.collecting or []) == 50


@pytest.mark.parametrize(
    "name",
    [
        "示例\u202e云帆科技有限公司",  # right-to-left override
        "示例\u2066云帆\u2069科技有限公司",  # isolates
        "示例\u200b云帆科技有限公司",  # zero-width space
        "示例\x7f云帆科技有限公司",  # DEL
        "示例\x85云帆科技有限公司",  # C1 control
    ],
)
def test_invisible_characters_are_refused_with_a_reason(
    run: Run, context: Context, name: str
) -> None:
    state, _, _ = run(AT_UNIT_NAME)
    step = handle(state, Input.typed(name), context)
    assert "不可见的控制字符或格式字符" in shown(step)
    assert "subject.name" not in step.state.answers


def test_text_that_is_not_valid_unicode_is_refused_and_nothing_is_lost(
    run: Run, context: Context
) -> None:
    state, _, _ = run(ENTERPRISE.until("postcode"))
    step = handle(state, Input.typed("杭\ud800州"), context)
    assert "无法识别的字符" in shown(step)
    assert step.state.answers == state.answers
    for command in ("/status", "/back", "/edit 域名"):
        assert "抱歉" not in shown(handle(step.state, Input.typed(command), context))


def test_characters_the_pdfs_cannot_draw_are_named_before_the_summary(
    run: Run, context: Context
) -> None:
    # A rare ideograph (CJK Extension C–E) the fonts lack: a name may hold one (an emoji is
    # refused as a name's character before it gets this far).
    blank = next(chr(cp) for cp in range(0x2A700, 0x2EBE0) if cp not in covered_codepoints())
    with_fonts = dataclasses.replace(context, undrawable=coverage().missing)
    transcript = [(said, ()) for said, _ in INDIVIDUAL[:-1]]
    at = INDIVIDUAL.asked.index("site_name")
    state, _, _ = run(transcript[:at])
    state = handle(state, Input.typed(f"小{blank}的笔记"), with_fonts).state  # the site's name
    for said, _ in transcript[at + 1 :]:
        step = handle(state, Input.typed(said), with_fonts)
        state = step.state
    assert state.state is Stage.SUMMARY
    assert f"无法显示（会是空白）：{blank}" in shown(step)
    without = handle(state, Input.typed("/status"), context)
    assert "无法显示" not in shown(without)


@pytest.mark.parametrize(
    ("subject_type", "code", "whose"),
    [
        ("社会团体", "91330106MA2B3C4D5D", "企业（市场监管部门登记）"),
        ("企业", "12330100MB1234567B", "机关、事业单位"),
        ("企业", "51330100MJ1234567Q", "社会组织（民政部门登记）"),
    ],
)
def test_a_credit_code_another_kind_of_unit_holds_is_refused_with_the_way_to_fix_either(
    run: Run, subject_type: str, code: str, whose: str
) -> None:
    """A credit code's first character names who registered the unit: a 社会团体 with an
    enterprise's 91… code, or an enterprise with a public body's 12… code, cannot be right."""
    before = [(subject_type if q == "subject_type" else said, ())
              for (said, _), q in zip(ENTERPRISE.until("credential"), ENTERPRISE.asked,
                                      strict=False)]  # fmt: skip
    state, _, _ = run(before)
    run([
        (code, (whose, "与所选的开办主体类型不符", "/edit 开办主体类型")),
        ("/edit 开办主体类型", "网站是以什么身份开办的"),
    ], state)  # fmt: skip


def test_the_address_question_refuses_a_passport_number_and_asks_again(run: Run) -> None:
    """「E12345678」 was stored as the unit's postal address and printed on the forms."""
    state, _, _ = run([(said, ()) for said, _ in ENTERPRISE.until("address")])
    run([("E12345678", ("不像是地址", "通信地址")), ("示例市示例区云帆路88号", "邮政编码")], state)
