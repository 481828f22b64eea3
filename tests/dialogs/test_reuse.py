"""/new after a filing offers its unit and people again (issue 25, item 16): the channel hands
the last filing's answers to the turn that starts the new interview (`Context.previous`)."""

from __future__ import annotations

from dataclasses import replace

from dialogs.engine import handle
from dialogs.model import Context, Input, InterviewState, NewInterview, Stage, Submit
from rules.answers import FilingAnswers
from tests.dialogs.conftest import Run, expect, shown
from tests.dialogs.transcripts import ENTERPRISE, INDIVIDUAL, Transcript

# A second site of the same enterprise: only what is not the unit or its people.
SECOND_SITE: Transcript = [
    ("本市", "服务器"),
    ("本市", "开通"),
    ("2026-11-25", "网站叫什么名字"),  # the unit is known: straight to the website
    ("云帆商城", "域名"),
    ("shop.yunfan.example.cn", "已记录"),
    ("完成", "注册"),
    ("阿里云计算有限公司", "IP"),
    ("47.96.12.40", "已记录"),
    ("完成", "几台"),
    ("1", "ICP"),
    ("浙ICP备2025012345号-2", "接入"),
    ("阿里云计算有限公司", "地区"),
    ("浙江省杭州市", "电话"),
    ("95187", "代码"),
    ("67395965-4", "接入方式"),
    ("云主机", "物理地址"),
    ("示例市示例区数据中心路9号", "服务"),
    ("5", "已选"),
    ("完成", "经营性"),
    ("经营性", "语言"),
    ("1", "已选"),
    ("完成", "交互式"),
    ("否", "管制"),
    ("否", "前置审批"),
    ("无", "技术措施"),
    ("采用建议", "管理制度"),
    ("采用建议", ("请核对", "示例云帆科技有限公司", "林云帆", "周安", "陈急", "云帆商城")),
]


def _filed(run: Run, transcript: Transcript) -> tuple[InterviewState, FilingAnswers]:
    state, effects, _ = run(transcript)
    submitted = [e for e in effects if isinstance(e, Submit)]
    return state, submitted[-1].answers


def _play(
    state: InterviewState, ctx: Context, transcript: Transcript
) -> tuple[InterviewState, list[object]]:
    effects: list[object] = []
    for said, expected in transcript:
        step = handle(state, Input.typed(said), ctx)
        expect(shown(step), expected, said)
        state = step.state
        effects += step.effects
    return state, effects


def test_new_offers_the_last_filings_unit_and_people_and_asks_only_the_rest(
    run: Run, context: Context
) -> None:
    done, first = _filed(run, ENTERPRISE)
    ctx = replace(context, previous=first.model_dump(mode="json"))
    state, effects = _play(
        done,
        ctx,
        [
            ("/new", "网站是以什么身份开办的"),
            (
                "企业",
                (
                    "沿用上次备案的开办主体和联系人信息吗？",
                    "单位名称：示例云帆科技有限公司",
                    "统一社会信用代码：91330106MA2B3C4D5D",
                    "法定代表人：林云帆（居民身份证 **************0015）",
                    "网络安全负责人：周安（居民身份证 **************0020）",
                    "24小时应急联系人：陈急（居民身份证 **************0035）",
                    "沿用",
                    "重新填写",
                ),
            ),
            ("沿用", ("已沿用上次备案的信息", "网站系统在哪里维护")),
            *SECOND_SITE,
            ("/edit 法定代表人手机", ("法定代表人的手机号码", "当前答案：13800138000")),
            ("13800138001", "请核对"),
            ("确认提交", "文件已准备好"),
        ],
    )
    assert isinstance(effects[0], NewInterview)
    second = next(e for e in effects if isinstance(e, Submit)).answers
    assert second.subject.model_copy(
        update={"responsible": first.subject.responsible}
    ) == first.subject.model_copy(update={"phone": first.subject.phone})
    assert second.subject.responsible.mobile == "13800138001"
    assert (second.security_officer, second.emergency_contact) == (
        first.security_officer,
        first.emergency_contact,
    )
    assert second.website.name == "云帆商城" and state.state is Stage.DONE


def test_new_can_fill_in_afresh_and_another_subject_type_is_not_offered(
    run: Run, context: Context
) -> None:
    done, first = _filed(run, ENTERPRISE)
    ctx = replace(context, previous=first.model_dump(mode="json"))
    state, _ = _play(
        done,
        ctx,
        [("/new", "身份"), ("企业", "沿用"), ("重新填写", "网站系统在哪里维护")],
    )
    unit_name = ENTERPRISE[len(ENTERPRISE.until("subject_name"))][0]
    state, _ = _play(
        state, ctx, [*ENTERPRISE.until("subject_name")[1:], (unit_name, "统一社会信用代码")]
    )
    assert "subject.credential_number" not in state.answers
    state, _ = _play(done, ctx, [("/new", "身份"), ("个人", ("✔ 个人", "网站系统在哪里维护"))])
    assert state.reuse is not None  # kept should the applicant go /back to 企业


def test_an_individual_with_a_passport_is_offered_with_the_number_masked(
    run: Run, context: Context
) -> None:
    at = next(i for i, (said, _) in enumerate(INDIVIDUAL) if said == "330106198506120015")
    transcript = [*INDIVIDUAL[:at], ("护照", "已改为护照"), ("E12345678", "常住地址")]
    done, first = _filed(run, [*transcript, *INDIVIDUAL[at + 1 :]])
    assert first.subject.credential_type == "passport"
    ctx = replace(context, previous=first.model_dump(mode="json"))
    state, _ = _play(
        done,
        ctx,
        [
            ("/new", "身份"),
            ("/lang en", "Who runs"),
            (
                "individual",
                (
                    "Use the subject and the people of your last filing again?",
                    "Your name: 林小𠮷 (Passport *****5678)",
                    "Security officer: yourself (林小𠮷)",
                    "Emergency contact: 林大𠮷 (Resident ID card **************0020)",
                    "Use them",
                ),
            ),
            ("use them", "Where is the site maintained"),
        ],
    )
    assert state.answers["subject.credential_type"] == "passport"
    assert state.answers["subject.credential_number"] == "E12345678"
