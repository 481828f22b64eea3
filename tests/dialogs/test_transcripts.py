"""Every path of the interview as a transcript, in Chinese as people type."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from dialogs.engine import begin, handle
from dialogs.model import (
    Cancel,
    Context,
    Finished,
    Input,
    NewInterview,
    Resume,
    ShowFilings,
    Stage,
    Submit,
)
from rules.answers import FilingAnswers
from tests.dialogs.conftest import Run, shown
from tests.dialogs.transcripts import ENTERPRISE, GOVERNMENT, INDIVIDUAL, SUBMITTING
from tests.documents.conftest import EXAMPLES

AT_SUMMARY = ENTERPRISE[
    : next(i for i, (s, _) in enumerate(ENTERPRISE) if "@" in s and "oncall" in s) + 1
]


def _submitted(effects: list[object]) -> FilingAnswers:
    submits = [e for e in effects if isinstance(e, Submit)]
    assert len(submits) == 1
    return submits[0].answers


@pytest.mark.parametrize("subject", sorted(SUBMITTING))
def test_a_whole_interview_submits_answers_equal_to_the_example(run: Run, subject: str) -> None:
    state, effects, _ = run(SUBMITTING[subject])
    assert state.state is Stage.DONE
    answers = _submitted(effects)
    example = FilingAnswers.model_validate(
        yaml.safe_load((EXAMPLES / f"{subject}.yaml").read_text(encoding="utf-8"))
    )
    got, want = answers.model_dump(), example.model_dump()
    if subject == "enterprise":  # the transcript added a domain from the summary
        want["website"]["domains"].append("m.yunfan.example.cn")
        want["website"]["name"] = "云帆科技官网"
        want["subject"]["phone"] = got["subject"]["phone"]
    assert got == want


def test_the_welcome_says_what_beian_does_and_that_documents_are_drafts(run: Run) -> None:
    _, _, texts = run([])
    assert "备案助手" in texts[0]
    assert "预填稿" in texts[0]
    assert "初审合格后从备案系统下载生成" in texts[0]  # the papers to stamp: not ours
    assert "打印、签字盖章" not in texts[0]
    assert "分钟" in texts[0]
    assert "政府机关、事业单位" in texts[0] and "企业" in texts[0] and "个人" in texts[0]


def test_back_returns_to_the_previous_question_with_the_answer_as_default(run: Run) -> None:
    run(
        [
            ("企业", "维护"),
            ("本市", "服务器"),
            ("/back", ("网站系统在哪里维护", "当前答案：本市", "保留原答案")),
            ("保留", "服务器放在哪里"),
            ("返回", ("网站系统在哪里维护", "当前答案")),
            ("上一步", ("网站是以什么身份开办的", "当前答案：企业")),
            ("/back", "已经是第一个问题了"),
            # The changed answer is kept; the interview goes on where it was.
            ("3", ("✔ 个人", "服务器放在哪里")),
        ]
    )


def test_a_bad_answer_gets_the_reason_and_an_example_and_nothing_is_lost(run: Run) -> None:
    state, _, _ = run(
        [
            *ENTERPRISE.until("postcode"),
            ("12345", ("这个答案不对", "6位数字", "例如：310012", "邮政编码")),
            ("", ("这个答案不对", "不能为空")),
        ]
    )
    assert state.question == "postcode"
    assert state.answers["subject.address"] == "示例市示例区云帆路88号云帆大厦12层"
    assert state.answers["subject.credential_number"] == "91330106MA2B3C4D5D"


def test_choices_accept_numbers_labels_and_synonyms(run: Run) -> None:
    for said, chosen in (
        ("公司", "企业"),
        ("我是个人", "个人"),
        ("gov", "政府机关"),
        ("２", "企业"),
    ):
        _, _, texts = run([(said, f"✔ {chosen}")])
        assert texts


def test_an_unknown_choice_is_asked_again(run: Run) -> None:
    run([("香蕉", ("“香蕉”不是这个问题的选项", "1. 政府机关", "网站是以什么身份开办的"))])


def test_not_in_this_city_stops_with_advice_and_back_fixes_it(run: Run) -> None:
    state, _, _ = run(
        [
            ("企业", "维护"),
            ("外地", "哪个城市"),
            ("上海", "服务器"),
            ("不在本市", "服务器在哪个城市"),
            ("上海", ("不属于本市受理范围", "上海", "仍需在网站开通之日起30日内", "/back")),
            ("2026-11-20", "本市不受理"),
            ("/back", ("服务器在哪个城市", "当前答案：上海")),
            ("/back", "网站服务器放在哪里"),
            ("本市", ("【备案地点】", "1. 网站系统维护地（上海）", "开通")),
        ]
    )
    assert state.state is Stage.CONNECTION_DATE


def test_an_overdue_site_is_warned_with_the_law_and_what_to_do(run: Run) -> None:
    run(
        [
            ("企业", "维护"),
            ("本市", "服务器"),
            ("本市", "开通"),
            (
                "2026.9.1",
                (
                    "已超过备案期限",
                    "警告或者停机整顿不超过六个月",
                    "不处罚款",
                    "第二十三条",
                    "尽快办理备案手续",
                    "开办单位的全称",
                ),
            ),
        ]
    )


def test_a_date_in_an_unpublished_year_is_flagged_as_an_estimate(run: Run) -> None:
    run(
        [
            ("企业", "维护"),
            ("本市", "服务器"),
            ("本市", "开通"),
            ("2027年9月20日", ("2027年9月20日还没到", "计划")),
            ("是", ("计划上线日", "2027年10月", "估算", "2027年的放假安排尚未公布")),
        ]
    )


def test_a_site_not_online_yet_is_told_when_the_clock_starts(run: Run) -> None:
    state, _, _ = run(
        [
            ("企业", "维护"),
            ("本市", "服务器"),
            ("本市", "开通"),
            ("还没上线", ("开通（联网）之日起30日内", "计划哪天上线")),
            ("/skip", "开办单位的全称"),
        ]
    )
    assert state.answers["connection_date"] is None
    assert state.answers["planned_online_date"] is None


def test_a_date_still_to_come_is_taken_as_the_planned_go_live(run: Run) -> None:
    state, _, _ = run(
        [
            ("企业", "维护"),
            ("本市", "服务器"),
            ("本市", "开通"),
            ("12月15日", ("2026年12月15日还没到", "计划")),  # today is 2026-11-28
            (
                "是",
                (
                    "按计划上线日2026年12月15日计算",
                    "最迟于2027年1月14日（含当日）",
                    "开办单位的全称",
                ),
            ),
        ]
    )
    assert state.answers["connection_date"] is None
    assert state.answers["planned_online_date"] == "2026-12-15"


def test_a_date_still_to_come_that_is_a_typo_is_asked_again(run: Run) -> None:
    state, _, _ = run(
        [
            ("企业", "维护"),
            ("本市", "服务器"),
            ("本市", "开通"),
            ("2026-12-20", "还没到"),
            ("不是", "网站是哪天开通"),
            ("2026-11-20", ("还剩23天", "开办单位的全称")),
        ]
    )
    assert state.answers["connection_date"] == "2026-11-20"


def test_dates_are_read_in_the_formats_people_type(run: Run) -> None:
    for said, due in (("20261120", "12月21日"), ("2026-11-20", "12月21日"), ("昨天", "12月28日")):
        run([("企业", "维护"), ("本市", "服务器"), ("本市", "开通"), (said, due)])


def test_cancel_keeps_the_data_and_start_offers_to_continue(run: Run) -> None:
    state, effects, _ = run(
        [
            *ENTERPRISE.until("credential"),
            ("/cancel", ("确定要取消吗", "保留30天", "删除")),
            ("1", ("已取消", "/start")),
            ("/start", ("还没有完成", "继续上次的填写", "重新开始")),
            ("继续", ("我们继续", "统一社会信用代码")),
        ]
    )
    assert [type(e) for e in effects] == [Cancel, Resume]
    assert isinstance(effects[0], Cancel) and not effects[0].delete
    assert state.answers["subject.name"] == "示例云帆科技有限公司"


def test_cancel_can_be_declined_and_chinese_words_work(run: Run) -> None:
    state, effects, _ = run(
        [
            *ENTERPRISE.until("server_city"),
            ("取消", "确定要取消吗"),
            ("继续填写", ("我们继续", "服务器在哪个城市")),
        ]
    )
    assert effects == []
    assert state.question == "server_city"


def test_cancel_and_delete_forgets_everything(run: Run) -> None:
    state, effects, _ = run(
        [*ENTERPRISE.until("subject_name"), ("/cancel", "删除"), ("取消并删除我的资料", "已删除")]
    )
    assert effects == [Cancel(delete=True)]
    assert state.answers == {}
    assert state.state is Stage.WELCOME


def test_restart_asks_first_then_clears_the_answers(run: Run) -> None:
    state, _, _ = run(
        [
            *ENTERPRISE.until("connection_date"),
            ("/restart", "清空"),
            ("不", ("我们继续", "哪天开通")),
            ("重新开始", "清空"),
            ("确定", ("你好！我是备案助手", "网站是以什么身份开办的")),
        ]
    )
    assert state.answers == {}
    assert state.state is Stage.SUBJECT_TYPE


def test_help_explains_the_question_with_an_example(run: Run) -> None:
    run(
        [
            *ENTERPRISE.until("credential"),
            ("帮助", ("营业执照", "例如：91330106MA2B3C4D5D", "/back")),
        ]
    )


def test_status_shows_progress_route_and_days_left(run: Run) -> None:
    run(
        [
            *ENTERPRISE.until("credential"),
            ("/status", ("进度：第5/7步（开办主体信息）", "先到", "还剩23天")),
        ]
    )


def test_status_at_the_summary_does_not_send_the_whole_summary_again(run: Run) -> None:
    _, _, texts = run([*AT_SUMMARY, ("/status", ("你在核对页", "确认无误"))])
    assert "云帆科技官网" not in texts[-1]


def test_lang_switches_to_english_and_back(run: Run) -> None:
    state, _, _ = run(
        [
            ("/lang en", ("Switched to English", "Who runs the website?", "Enterprise")),
            ("company", ("✔ Enterprise", "Where is the site maintained")),
            ("/lang", ("已切换为中文", "网站系统在哪里维护")),
        ]
    )
    assert state.lang == "zh"


def test_skip_refuses_a_required_question(run: Run) -> None:
    run([*ENTERPRISE.until("credential"), ("/skip", ("必填", "统一社会信用代码"))])


def test_edit_from_the_summary_by_picking_from_the_list(run: Run) -> None:
    state, _, _ = run(
        [
            *AT_SUMMARY,
            ("修改", ("要修改哪一部分", "开办主体信息")),
            ("开办主体信息", ("要修改哪一项", "邮政编码")),
            ("邮政编码", ("请输入邮政编码", "当前答案：310012")),
            ("310013", ("请核对", "310013")),
        ]
    )
    assert state.state is Stage.SUMMARY


def test_changing_the_subject_type_from_the_summary_asks_the_subject_again(run: Run) -> None:
    """A unit's address, phone and representative are not a person's: asked again (they were
    kept, the unit's address becoming the person's home)."""
    state, _, _ = run(
        [
            *AT_SUMMARY,
            ("/edit 开办主体类型", "网站是以什么身份开办的"),
            ("个人", ("✔ 个人", "需要重新填写", "请输入你的姓名")),
            ("林云帆", "你的证件号码"),
            ("330106198506120015", "请输入你的常住地址"),
        ]
    )
    assert state.state is Stage.SUBJECT
    assert state.answers["subject.credential_number"] == "330106198506120015"
    assert "subject.address" not in state.answers


def test_edit_of_an_unknown_item_lists_the_items(run: Run) -> None:
    run([*AT_SUMMARY, ("/edit 星座", ("没有找到“星座”", "要修改哪一部分", "网站信息"))])


def test_a_stale_button_is_answered_politely(run: Run, context: object) -> None:
    first = begin(context)  # type: ignore[arg-type]
    old_button = first.replies[-1].question
    assert old_button is not None
    state, _, _ = run(ENTERPRISE.until("server"))
    step = handle(state, Input.pressed(old_button, "individual"), context)  # type: ignore[arg-type]
    assert step.stale
    assert "已经回答过了" in shown(step)
    assert step.state.answers["subject_type"] == "enterprise"


def test_a_button_press_answers_the_current_question(run: Run, context: object) -> None:
    state, _, _ = run([])
    current = str(state.asked)
    step = handle(state, Input.pressed(current, "government"), context)  # type: ignore[arg-type]
    assert not step.stale
    assert step.state.answers["subject_type"] == "government"
    assert step.state.question == "maintenance"
    assert step.replies[-1].question == str(step.state.asked) != current


def test_a_button_of_an_earlier_message_never_answers_the_current_question(
    run: Run, context: object
) -> None:
    # The welcome's buttons answer "subject type"; pressed later they answer nothing.
    welcome = begin(context)  # type: ignore[arg-type]
    token = welcome.replies[-1].question
    assert token is not None
    state, _, _ = run([("企业", "维护")])
    step = handle(state, Input.pressed(token, "local"), context)  # type: ignore[arg-type]
    assert step.stale
    assert "maintenance" not in step.state.answers


def test_after_submission_start_shows_the_filings_and_new_begins_another(run: Run) -> None:
    state, effects, said = run([*INDIVIDUAL, ("你好", "下面是它现在的办理状态")])
    assert "提交" not in said[-1]  # nothing was submitted to a bureau: the channel says where
    assert effects[-1] == ShowFilings(newest_only=True)  # its real status, with its buttons
    state, effects, _ = run([("/status", ())], state)
    assert effects[-1] == ShowFilings()
    state, effects, _ = run([("/start", ("你的备案如下", "/new"))], state)
    assert isinstance(effects[-1], ShowFilings)
    assert state.answers  # nothing lost: the filing's answers stay
    state, effects, _ = run(
        [*INDIVIDUAL, ("/start", "你的备案如下"), ("/new", ("你好！我是备案助手", "身份开办"))]
    )
    assert isinstance(effects[-1], NewInterview)
    assert state.answers == {}


def test_a_change_reopens_the_answers_shows_the_diff_and_asks_the_reason(run: Run) -> None:
    state, effects, _ = run(
        [
            *INDIVIDUAL,
            ("/change", ("信息变更", "请核对")),
            ("确认", "还没有修改任何信息"),  # nothing changed yet
            ("/edit 网站名称", "网站叫什么名字"),
            ("小吉的笔记", "请核对"),
            ("确认", ("变更内容（原 → 新）", "网站名称：小𠮷的笔记 → 小吉的笔记", "变更原因")),
            ("2099-01-01 改名", "不能在将来"),
            ("明天 改名", "不能在将来"),
            ("昨天 网站改名", ("变更日期：2026年11月27日", "变更原因：网站改名", "确认报告变更")),
            ("继续修改", "请核对"),
            ("确认", "变更原因"),
            ("网站改名", ("变更日期：2026年11月28日", "确认报告变更")),
            ("1", "变更已记录"),
        ]
    )
    submit = effects[-1]
    assert isinstance(submit, Submit) and submit.change is not None
    assert submit.change.reason == "网站改名" and submit.answers.website.name == "小吉的笔记"
    assert state.changing_from is None and state.state.value == "done"


def test_a_change_dated_before_the_certification_is_asked_again_keeping_the_edits(
    run: Run, context: Context
) -> None:
    done, _, _ = run(INDIVIDUAL)
    certified = dt.date(2026, 11, 20)
    step = handle(done, Input.typed("/change", since=certified), context)
    _, effects, said = run(
        [
            ("/edit 网站名称", "网站叫什么名字"),
            ("小吉的笔记", "请核对"),
            ("确认", "变更原因"),
            ("2026-11-19 网站改名", ("最早可以写2026年11月20日", "你的修改都还在", "变更原因")),
            ("2026-11-20 网站改名", ("变更日期：2026年11月20日", "小𠮷的笔记 → 小吉的笔记")),
            ("1", "变更已记录"),
        ],
        step.state,
    )
    submit = effects[-1]
    assert isinstance(submit, Submit) and submit.change is not None
    assert submit.change.on == certified and submit.answers.website.name == "小吉的笔记"
    assert "已经提交" not in "".join(said)


def test_a_change_given_up_puts_the_confirmed_answers_back(run: Run) -> None:
    state, effects, _ = run(
        [
            *INDIVIDUAL,
            ("/change", "信息变更"),
            ("/edit 网站名称", "网站叫什么名字"),
            ("小吉的笔记", "请核对"),
            ("/cancel", "已放弃，备案信息保持不变"),
            ("你好", "下面是它现在的办理状态"),
        ]
    )
    assert state.answers["website.name"] == "小𠮷的笔记"
    assert sum(isinstance(e, Submit) for e in effects) == 1  # the first confirmation only


def test_the_government_transcript_routes_maintenance_first(run: Run) -> None:
    _, effects, _ = run(GOVERNMENT)
    answers = _submitted(effects)
    assert answers.maintenance_city == "上海"
    assert answers.emergency_contact == answers.security_officer


def test_a_government_body_may_give_its_organisation_code(run: Run) -> None:
    state, _, _ = run(
        [
            *GOVERNMENT.until("credential"),
            ("12345678-8", "通信地址"),
        ]
    )
    assert state.answers["subject.credential_number"] == "12345678-8"


def test_an_enterprise_may_not_give_an_organisation_code(run: Run) -> None:
    run([*ENTERPRISE.until("credential"), ("12345678-8", ("这个答案不对", "统一社会信用代码"))])


def test_the_emergency_contact_can_be_the_legal_representative(run: Run) -> None:
    # ENTERPRISE up to the contact question, then "same as the legal representative".
    upto = next(i for i, (said, _) in enumerate(ENTERPRISE) if said == "另填一人")
    state, effects, _ = run(
        [
            *ENTERPRISE[:upto],
            ("同法定代表人", ("请核对", "24小时应急联系人：同法定代表人（林云帆）")),
            ("确认", "文件已准备好"),
        ]
    )
    answers = _submitted(effects)
    assert answers.emergency_contact == answers.subject.responsible
    assert state.state is Stage.DONE


def test_a_photo_or_sticker_gets_the_question_again(run: Run, context: object) -> None:
    state, _, _ = run(ENTERPRISE.until("maintenance"))
    step = handle(state, Input.nothing(), context)  # type: ignore[arg-type]
    assert "请先回答这个问题" in shown(step)
    assert "网站系统在哪里维护" in shown(step)
    assert step.state.answers == state.answers


@pytest.mark.parametrize(
    ("subject", "first", "second"),
    [
        ("enterprise", "示例市公安局", "服务器托管地（杭州）的公安网安部门"),
        ("government", "网站系统维护地（上海）的公安网安部门", "示例市公安局"),
    ],
)
def test_the_plan_at_the_end_names_each_bureau_and_dates_nothing_not_yet_begun(
    run: Run, subject: str, first: str, second: str
) -> None:
    _, _, said = run(SUBMITTING[subject])
    end = said[-1]
    assert "还没有向任何网安部门提交" in end and "✅ 已提交" not in end
    plan = end[end.index("【接下来】") :]
    steps = [line for line in plan.splitlines() if line[:1].isdigit()]
    assert first in steps[0] and second in steps[-3]  # then the icon and changes
    review = next(line for line in steps if "初审；" in line)
    assert review.endswith("提交后5个工作日内")  # not dated: nothing is submitted yet
    # The second bureau is under the same 30 days from going online (办法 Art. 12).
    second_filing = next(line for line in steps if "第1步（" in line)
    due = {"enterprise": "2026年12月21日", "government": "2026年12月2日"}[subject]
    assert f"在第1步之后办理，最迟于{due}（含当日）" in second_filing, second_filing
    assert "尽快办理" not in second_filing


def test_a_confirmed_interview_reopens_at_the_summary_to_amend_its_filing(run: Run) -> None:
    state, effects, _ = run(SUBMITTING["individual"])
    assert state.state is Stage.DONE
    state, more, said = run([("/amend", ("重新打开", "请核对"))], state)
    assert state.state is Stage.SUMMARY and state.amending
    state, more, said = run([("确认提交", "已按修改生成新的文件")], state)
    submits = [e for e in more if isinstance(e, Submit)]
    assert len(submits) == 1 and submits[0].amends and not state.amending
    assert "【接下来】" not in said[-1]  # the filing's plan goes on from its recorded dates
    assert not [e for e in effects if isinstance(e, Submit) and e.amends]  # the first was new
    _, _, said = run([("/amend", "还没有确认")])  # nothing confirmed yet: nothing to amend


def test_start_during_a_change_keeps_it_and_new_gives_it_up(run: Run) -> None:
    """A bare /start (what a terminal sends when run again, what a Telegram user taps to wake
    the bot) used to give the change up and lose its edits; it goes on with it now."""
    state, effects, _ = run(
        [
            *INDIVIDUAL,
            ("/change", "信息变更"),
            ("/edit 网站名称", "网站叫什么名字"),
            ("小吉的笔记", "请核对"),
            ("/start", ("变更还没有报告，已做的修改都还在", "请核对")),
        ]
    )
    assert state.answers["website.name"] == "小吉的笔记" and state.changing_from is not None
    state, effects, _ = run(
        [
            *INDIVIDUAL,
            ("/change", "信息变更"),
            ("/edit 网站名称", "网站叫什么名字"),
            ("小吉的笔记", "请核对"),
            ("/cancel", "已放弃，备案信息保持不变"),
        ]
    )
    assert state.answers["website.name"] == "小𠮷的笔记" and state.state is Stage.DONE
    assert isinstance(effects[-1], Finished)
    state, effects, _ = run(
        [*INDIVIDUAL, ("/change", "信息变更"), ("/new", ("已放弃", "你好！我是备案助手"))]
    )
    assert isinstance(effects[-1], NewInterview) and state.answers == {}


def test_a_changes_reason_is_read_with_its_date_and_checked(run: Run) -> None:
    _, effects, _ = run(
        [
            *INDIVIDUAL,
            ("/change", "信息变更"),
            ("/edit 网站名称", "网站叫什么名字"),
            ("小吉的笔记", "请核对"),
            ("确认", "变更原因"),
            ("2026-02-30 改名", "2月"),  # not a date: said so
            ("2026-11-27", "请在日期后面写上变更原因"),
            ("2026年11月27日网站改名", ("变更日期：2026年11月27日", "变更原因：网站改名")),
            ("继续修改", "请核对"),
            ("确认", "变更原因"),
            ("4", ("变更原因：网站改版或改名", "变更日期：2026年11月28日")),  # a listed reason
            ("确认报告变更", "变更已记录"),
        ]
    )
    submit = effects[-1]
    assert isinstance(submit, Submit) and submit.change is not None
    assert submit.change.reason == "网站改版或改名"
    assert submit.change.before is not None
    assert submit.change.before.website.name == "小𠮷的笔记"


def test_a_change_of_the_subject_type_is_refused(run: Run) -> None:
    state, _, _ = run(
        [
            *INDIVIDUAL,
            ("/change", "信息变更"),
            ("/edit 主体类型", "主体类型"),
        ]
    )
    assert state.state is Stage.SUBJECT_TYPE


def test_a_change_that_moves_the_whole_site_away_says_cancel_and_can_be_given_up(
    run: Run,
) -> None:
    """Both the maintenance and the server edited to elsewhere during /change: the chat said
    "/restart", and /cancel, /new and /restart then failed (no way out of 不属于本市受理范围)."""
    moved = [
        *INDIVIDUAL,
        ("/change", "信息变更"),
        ("/edit 服务器所在地", "服务器放在哪里"),
        ("外地", ""),
        ("上海", ""),
        ("/edit 维护地", "网站系统在哪里维护"),
        ("外地", ""),
        ("上海", ("不能作为变更报告", "本市这份备案应注销（/close_site）")),
    ]
    for leave in ("/cancel", "/restart", "/new"):
        state, _, _ = run([*moved, (leave, "已放弃，备案信息保持不变")])
        assert state.answers == {} or state.answers["maintenance"] == "local", leave


def test_a_subject_changed_from_a_person_to_a_unit_is_asked_again(run: Run) -> None:
    """/edit 主体类型 from 个人 to 企业 kept the person's home address, mobile and e-mail as the
    unit's, and made the officer 「同法定代表人」 without asking."""
    state, _, said = run(
        [
            *INDIVIDUAL[:-1],  # at the summary, not confirmed
            ("/edit 主体类型", "网站是以什么身份开办的"),
            ("企业", ("需要重新填写", "单位")),
        ]
    )
    assert "单位名称" in said[-1] or "全称" in said[-1], said[-1]  # asked next, not the summary
    assert state.answers["subject_type"] == "enterprise"
    assert not [k for k in state.answers if k.startswith("subject.")]
    assert "_officer_same" not in state.answers and "_contact" not in state.answers
    assert state.answers["website.name"] == "小𠮷的笔记"  # the site's answers stay


def test_status_during_a_change_gives_no_filing_deadline(run: Run) -> None:
    """/status (WeChat's 进度) during a change of a filed site said 「备案期限：…还剩23天」 — or
    「备案已逾期」 with the penalty — though the filing was long since made."""
    steps = [("/change", "信息变更"), ("/edit 网站名称", "网站叫什么名字"), ("/status", "进度")]
    _, _, said = run([*INDIVIDUAL, *steps])
    assert "备案期限" not in said[-1] and "逾期" not in said[-1], said[-1]


def test_a_filing_number_typed_alone_is_said_not_to_be_recorded(run: Run) -> None:
    """Sent without its link's code (WeChat) or not as the reply asked (Telegram), the number
    was answered with the status alone, the applicant left to think it was taken."""
    _, effects, _ = run([*INDIVIDUAL, ("京公网安备11010502030143号 SL-1", "没有记录")])
    assert isinstance(effects[-1], ShowFilings)
    _, _, other = run([*INDIVIDUAL, ("你好", "已经确认")])
    assert "没有记录" not in other[-1]
