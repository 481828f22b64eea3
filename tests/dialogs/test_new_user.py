"""What a new user hit in both languages (issue 15), one transcript each, on the pure engine.

Each test replays the words that went wrong and checks the reply the applicant now gets."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from bot.wx.channel import format_reply
from dialogs.engine import begin, handle
from dialogs.model import Context, Input, Mode, Stage
from tests.dialogs.conftest import Run
from tests.dialogs.transcripts import ENTERPRISE, GOVERNMENT, INDIVIDUAL, Transcript

TO_DATE = [("企业", "维护"), ("本市", "服务器"), ("本市", "开通")]
TO_DATE_EN = [("/lang en", "Who runs"), ("enterprise", "maintained"), ("here", "server")]
TO_DATE_EN += [("here", "online")]


def until(expected: str, transcript: Transcript = ENTERPRISE) -> Transcript:
    """A transcript up to (and with) the reply that shows `expected`."""
    end = next(i for i, (_, e) in enumerate(transcript) if expected in e)
    return list(transcript[: end + 1])


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize("said", ["Nov 20", "Nov 20, 2026", "20 November 2026"])
def test_english_dates_are_dates_not_not_online_yet(run: Run, said: str) -> None:
    state, _, _ = run(
        [
            *TO_DATE_EN,
            (said, ("Online since 2026-11-20", "file on or before 2026-12-21", "23 days left")),
        ]
    )
    assert state.answers["connection_date"] == "2026-11-20"


@pytest.mark.parametrize(
    ("said", "iso"),
    [("11/20", "2026-11-20"), ("11-20", "2026-11-20"), ("上周五", "2026-11-20"),
     ("前天", "2026-11-26")],
)  # fmt: skip
def test_chinese_short_and_relative_dates_are_read(run: Run, said: str, iso: str) -> None:
    state, _, _ = run([*TO_DATE, (said, "【备案期限】")])
    assert state.answers["connection_date"] == iso


def test_an_unreadable_date_is_refused_with_examples_in_the_users_language(run: Run) -> None:
    state, _, texts = run([*TO_DATE_EN, ("banana", "Could not read that date")])
    assert "Nov 20" in texts[-1] and "yesterday" in texts[-1]
    assert not re.search(r"[\u4e00-\u9fff]", texts[-1])  # no Chinese in an English refusal
    assert "connection_date" not in state.answers
    _, _, zh = run([*TO_DATE, ("下个月的某天", "没有看懂这个日期")])
    assert "昨天" in zh[-1]


def test_an_impossible_date_says_what_is_wrong(run: Run) -> None:
    run([*TO_DATE, ("2/30", "2月没有30日")])
    run([*TO_DATE, ("13/13", "没有13月")])


def test_a_future_date_is_asked_again_as_the_planned_go_live(run: Run) -> None:
    state, _, texts = run(
        [
            *TO_DATE,
            ("12月15日", "还没到"),
            ("是", ("按计划上线日", "最迟于2027年1月14日（含当日）")),
        ]
    )
    assert "开通，须在" not in texts[-2]  # not stated as past
    assert state.answers["planned_online_date"] == "2026-12-15"


def test_not_online_yet_asks_for_the_planned_date(run: Run) -> None:
    state, _, _ = run(
        [*TO_DATE, ("还没上线", "计划哪天上线"), ("12月20日", ("按计划上线日", "开办单位的全称"))]
    )
    assert state.answers["connection_date"] is None
    assert state.answers["planned_online_date"] == "2026-12-20"


# --- choices -----------------------------------------------------------------------------

TO_SERVICES = until("提供哪些服务")


def test_done_after_a_list_does_not_answer_the_next_question(run: Run) -> None:
    state, _, _ = run(
        [
            *TO_SERVICES,
            ("1, 4", ("✔ 已记录：单位门户网站、论坛/社区", "经营性还是非经营性")),
            ("done", ("“done”：这个问题不是列表", "经营性还是非经营性")),
        ]
    )
    assert "website.commercial" not in state.answers


@pytest.mark.parametrize("said", ["yes", "foo@example.cn", "是"])
def test_an_answer_that_is_no_option_is_refused_with_the_options(run: Run, said: str) -> None:
    state, _, texts = run([*TO_SERVICES, (said, "不是这个问题的选项")])
    assert "1. 单位门户网站" in texts[-1] and "11. 其他" in texts[-1]
    assert "website.service_types" not in state.answers
    assert state.collecting is None


@pytest.mark.parametrize("said", ["1 and 4", "1和4", "1 4", "1, 4", "门户 论坛"])
def test_every_way_of_listing_numbers_or_names_is_one_path(run: Run, said: str) -> None:
    state, _, _ = run([*TO_SERVICES, (said, "✔ 已记录：单位门户网站、论坛/社区")])
    assert state.answers["website.service_types"] == ["portal", "forum"]


# --- /edit -------------------------------------------------------------------------------

AT_SUMMARY = until("请核对你的全部信息")


@pytest.mark.parametrize(
    ("said", "listed"),
    [
        ("/edit 姓名", ("法定代表人姓名", "安全负责人姓名", "应急联系人姓名")),
        ("/edit 邮箱", ("法定代表人电子邮箱", "安全负责人电子邮箱", "应急联系人电子邮箱")),
        ("/edit 手机", ("法定代表人手机", "安全负责人手机", "应急联系人手机")),
        ("/edit 负责人姓名", ("法定代表人姓名", "安全负责人姓名")),
    ],
)
def test_an_ambiguous_edit_asks_which_item(run: Run, said: str, listed: tuple[str, ...]) -> None:
    state, _, texts = run([*AT_SUMMARY, (said, ("可能是下面几项", *listed))])
    assert state.mode is Mode.CHOOSING_ITEM
    assert "域名" not in texts[-1]
    assert len(state.choices or []) == len(listed)  # exactly these, not a 34-item wall


def test_an_edit_named_by_label_opens_that_item(run: Run) -> None:
    state, _, _ = run([*AT_SUMMARY, ("/edit 法定代表人姓名", "当前答案：林云帆")])
    assert state.question == "rep_name"
    state, _, _ = run([*AT_SUMMARY, ("/edit 应急联系人", "24小时应急联系人是谁")])
    assert state.question == "contact_same"


def test_picking_from_an_ambiguous_edit_opens_the_item(run: Run) -> None:
    state, _, _ = run([*AT_SUMMARY, ("/edit 手机", "可能是"), ("2", "网络安全负责人的手机")])
    assert state.question == "officer_mobile"


# --- plausibility ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "said", "reason"),
    [
        ("法定代表人（主要负责人）的姓名", "010 1234 5678", "这不像是姓名"),
        ("开办单位的全称", "2026/11/20", "这不像是名称"),
        ("开办单位的全称", "否", "这不像是名称"),
        ("开办单位的全称", "yunfan.example.cn", "这是域名"),
        ("在哪家服务商注册", "m.yunfan.example.cn", "这是域名"),
        ("开办单位的全称", "云帆。示例。中国", "这是域名"),  # dots as people type them
        ("开办单位的全称", "yunfan․example․cn", "这是域名"),  # one dot leader: NFKC "."
        ("开办单位的全称", "示例云帆科技有限公司😀", "不能有表情或符号"),  # was on the forms
    ],
)
def test_implausible_names_are_refused(run: Run, at: str, said: str, reason: str) -> None:
    before = until(at)
    state, _, _ = run([*before, (said, ("这个答案不对", reason))])
    assert said not in [str(v) for v in state.answers.values()]


def test_a_city_must_be_a_place_of_china_or_a_name_in_letters(run: Run) -> None:
    state, _, _ = run([("企业", "维护"), ("外地", "哪个城市"), ("abc123", "没有找到“abc123”")])
    assert "maintenance_city" not in state.answers
    state, _, _ = run([("企业", "维护"), ("外地", "哪个城市"), ("余杭区", "服务器")])
    assert state.answers["maintenance_city"] == "余杭区"


def test_a_server_abroad_is_taken_and_files_with_this_city_alone(run: Run) -> None:
    """新加坡 was refused (「没有找到」) and 香港 routed to a 「服务器托管地（香港）的公安网安
    部门」 that does not exist: an overseas server could not get past the question truthfully."""
    for where in ("新加坡", "香港", "境外"):
        state, _, texts = run(
            [
                ("企业", "维护"),
                ("本市", "服务器放在哪里"),
                ("/help", "新加坡"),  # the help says how to answer for a server abroad
                ("外地", "哪个城市"),
                (where, ("境外", "只需到示例市公安局")),
            ]
        )
        assert state.answers["server_city"] == where
        assert not any("服务器托管地" in text for text in texts), texts


def test_elsewhere_then_this_citys_name_is_this_city(run: Run) -> None:
    state, _, _ = run(
        [
            ("企业", "维护"),
            ("外地", "哪个城市"),
            ("示例市", ("示例市就是本市，已改为“本市（示例市）”", "服务器放在哪里")),
            ("本市", ("只需到示例市公安局", "开通")),
        ]
    )
    assert state.answers["maintenance"] == "local"
    assert "maintenance_city" not in state.answers


# --- answers compared with each other ----------------------------------------------------


def _replaced(transcript: Transcript, old: str, new: str) -> Transcript:
    return [(new if said == old else said, expected) for said, expected in transcript]


def test_a_forum_with_no_interactive_service_is_sent_back_to_fix(run: Run) -> None:
    lines = [(said, "") for said, _ in until("请核对你的全部信息")]
    at = next(i for i, (said, _) in enumerate(lines) if said == "1" and i > 20)
    lines[at] = ("4", "")  # 论坛/社区 instead of the portal; 交互式服务 stays 否
    state, _, texts = run(lines)
    assert "这些回答互相矛盾" in texts[-1]
    assert "“论坛/社区”属于交互式服务" in texts[-1]
    assert state.question == "interactive" and state.state is Stage.WEBSITE
    state, _, _ = run(
        [
            ("是", "有哪些交互式栏目"),
            ("论坛", "已选：论坛/社区"),
            ("完成", ("请核对你的全部信息", "论坛/社区")),
        ],
        state,
    )
    assert state.answers["website.interactive"] is True


def test_a_local_server_stored_in_another_province_is_sent_back_to_fix(run: Run) -> None:
    lines = [(said, "") for said, _ in until("请核对你的全部信息")]
    lines[2] = ("1", "")  # the server in this city, but its address stays 浙江省杭州市…
    del lines[3]  # no city asked for a local server
    state, _, texts = run(lines)
    assert "服务器存放地址在浙江省" in texts[-1]
    assert state.question == "server"


# --- lists -------------------------------------------------------------------------------


def test_a_list_entered_at_once_is_echoed_and_a_further_domain_is_not_an_ip(run: Run) -> None:
    state, _, _ = run(
        [
            *until("域名"),
            ("a.example.cn、b.example.cn", ("✔ 已记录：a.example.cn、b.example.cn", "注册")),
            ("阿里云计算有限公司", "公网IP"),
            ("c.example.cn", "这是域名，这里请填写IP地址"),
        ]
    )
    assert state.answers["website.domains"] == ["a.example.cn", "b.example.cn"]


def test_editing_a_list_offers_add_remove_and_replace(run: Run) -> None:
    state, _, _ = run(
        [
            *AT_SUMMARY,
            ("/edit 域名", ("添加", "删除其中几项", "全部重新填写", "保留原答案")),
            ("删除", "选择要删除的项"),
            ("1", ("✔ 已记录：yunfan.example.cn", "请核对")),
        ]
    )
    assert state.answers["website.domains"] == ["yunfan.example.cn"]
    state, _, _ = run(
        [("/edit 域名", "添加"), ("全部重新填写", "域名"), ("new.example.cn", "已记录")], state
    )
    assert state.collecting == ["new.example.cn"]


# --- words ---------------------------------------------------------------------------------


@pytest.mark.parametrize("transcript", [ENTERPRISE, GOVERNMENT, INDIVIDUAL])
def test_no_internal_word_reaches_the_applicant(run: Run, transcript: Transcript) -> None:
    _, _, texts = run([*transcript[:-1], ("/status", "")])
    for text in texts:
        assert not re.search(r"[（(](summary|out_of_scope|people|website|subject)[)）]", text)
        assert not re.search(r"\b(summary|out_of_scope|part \d of \d)\b", text), text
        assert re.search(r"部分（", text) is None


def test_an_english_refusal_has_an_english_example(run: Run) -> None:
    _, _, texts = run(
        [*TO_DATE_EN, ("Nov 20", "Full name"), ("Yunfan Ltd", "credit code"), ("x", "again")]
    )
    assert "For example:" in texts[-1]
    assert not re.search(r"[\u4e00-\u9fff]", texts[-1].split("For example:")[1].split("\n")[0])


def test_an_enterprise_is_not_asked_as_a_person(run: Run) -> None:
    _, _, texts = run(until("开办单位的全称"))
    assert "个人请输入" not in texts[-1]
    assert "请输入开办单位的全称。" in texts[-1]


def test_an_individual_chooses_myself_not_the_legal_representative(run: Run) -> None:
    _, _, texts = run(until("应急联系人是谁", INDIVIDUAL))
    assert "本人" in texts[-1]
    assert "同法定代表人" not in texts[-1] and "法定代表人/负责人" not in texts[-1]


def test_a_foreign_legal_representative_continues_with_a_passport(run: Run) -> None:
    state, _, _ = run(
        [
            *until("法定代表人的证件号码"),
            ("护照", "已改为护照"),
            ("abc", ("护照号码应为5–20位字母和数字", "例如：E12345678")),
            ("E12345678", "手机号码"),
            ("+852 9123 4567", "电子邮箱"),
        ]
    )
    assert state.answers["subject.responsible.id_type"] == "passport"
    assert state.answers["subject.responsible.id_number"] == "E12345678"
    assert state.answers["subject.responsible.mobile"] == "+852 9123 4567"


def test_wechat_numbers_the_document_types_and_a_number_picks_one(context: Context) -> None:
    """WeChat shows choices as lines to type: the document types of an ID number were shown as
    【护照】 with no number, though typing 2 picks 护照 (numbered as every other choice is)."""
    ctx = dataclasses.replace(context, buttons=False)
    step = begin(ctx)
    for said, _ in until("法定代表人的证件号码"):
        step = handle(step.state, Input.typed(said), ctx)
    shown = "\n".join(format_reply(reply) for reply in step.replies)
    assert "1. ✅ 居民身份证" in shown and "2. 护照" in shown, shown
    assert "【护照】" not in shown
    step = handle(step.state, Input.typed("2"), ctx)
    assert step.state.answers["subject.responsible.id_type"] == "passport"
    assert "已改为护照" in step.replies[0].text


def test_the_summary_names_the_emergency_contact_person(run: Run) -> None:
    _, _, texts = run(until("请核对你的全部信息"))
    assert "应急联系人姓名：陈急" in texts[-1]
    _, _, texts = run(GOVERNMENT[:-1])
    assert "同安全负责人（赵守）" in texts[-1]


def test_the_welcome_says_what_to_have_at_hand_and_every_question_its_step(run: Run) -> None:
    _, _, texts = run([("企业", "维护")])
    for thing in ("营业执照", "统一社会信用代码", "身份证件", "ICP备案号", "公网IP", "接入服务商"):
        assert thing in texts[0]
    assert "第1/7步 · 主体类型" in texts[0]
    assert "第2/7步 · 维护地" in texts[1]


def test_status_marks_a_filing_deadline_in_an_unpublished_year_as_an_estimate(
    context: Context,
) -> None:
    from dataclasses import replace

    from dialogs.notices import status_deadline

    later = replace(context, today=dt.date(2027, 1, 10))
    said = status_deadline({"connection_date": "2027-01-05"}, later, "zh")
    assert said is not None and "（估算）" in said and "还剩" in said
    known = status_deadline({"connection_date": "2026-11-20"}, context, "zh")
    assert known is not None and "估算" not in known


def test_a_server_moved_here_is_told_which_answer_to_fix(run: Run) -> None:
    """Choosing 本市 for a server whose address is in 杭州 looped on 「请确认服务器在哪里」
    with no word of the address, the answer that had to change."""
    lines = [(said, "") for said, _ in until("请核对你的全部信息")]
    state, _, _ = run(
        [
            *lines,
            ("/edit 服务器所在地", "网站服务器放在哪里"),
            ("本市", ("这些回答互相矛盾", "/edit 服务器存放地址")),
            ("/edit 服务器存放地址", "服务器存放的物理地址"),
            ("示例市示例区云帆路88号云帆大厦机房", "请核对你的全部信息"),
        ]
    )
    assert state.answers["server"] == "local"
    assert "示例市" in state.answers["website.server_address"]


def test_help_after_the_confirmation_names_only_what_works_then(run: Run) -> None:
    """After the confirmation /help still offered /back, /skip and /edit, which only showed the
    status again: a message names only commands that do something."""
    _, _, texts = run([*[(said, "") for said, _ in ENTERPRISE], ("/help", "/change")])
    assert "/back" not in texts[-1] and "/skip" not in texts[-1] and "/edit" not in texts[-1]
    _, _, asking = run([("企业", "维护"), ("/help", "/back")])  # while answering: all of them
    assert "/edit" in asking[-1]


def test_a_wrong_document_type_tapped_and_back_keeps_the_passport_number(run: Run) -> None:
    """At /edit of a passport number, tapping 居民身份证 dropped E12345678: 保留原答案 was gone
    and 护照 again found nothing (only /cancel got out)."""
    at_id = [*until("法定代表人的证件号码"), ("护照", "已改为护照"), ("E12345678", "手机号码")]
    state, _, _ = run(
        [
            *at_id,
            ("/edit 法定代表人证件号码", ("当前答案", "E12345678")),
            ("居民身份证", ("已改为居民身份证", "E12345678")),  # still offered
            ("保留原答案", "身份证号码"),  # not a resident ID number: asked again, not lost
            ("护照", "已改为护照"),
            ("保留原答案", ""),
        ]
    )
    assert state.answers["subject.responsible.id_type"] == "passport"
    assert state.answers["subject.responsible.id_number"] == "E12345678"
