"""Whole conversations as data: (what the applicant types, what the reply must contain).

The expected part is a string, or a tuple of strings that must all appear. Written the way
people type: typos, full-width digits, several date formats, Chinese command words. Each ends
with answers equal to its example in examples/.

Each answer names the question it answers; the order is not written here but taken from the
interview itself (`interview` plays the pure engine, whose order is questions.yaml's): the
answers to each question are typed when the engine asks it, and a question with no answer here
(a question just added) is answered with its example from questions.yaml. A test that stops
before a question says so by its id (`ENTERPRISE.until("credential")`), never by a count, so
adding a question moves no test.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque

from dialogs.engine import begin, handle
from dialogs.model import Context, Input, Stage
from dialogs.spec import load_spec
from rules.pack import load_pack
from rules.workdays import WorkdayCalendar

Expect = str | tuple[str, ...]
Transcript = list[tuple[str, Expect]]
Answer = tuple[str, str, Expect]  # (question id, what is typed, what the reply must contain)
TODAY = dt.date(2026, 11, 28)  # the day the transcripts' dates count from (tests/dialogs)


class Interview(list[tuple[str, Expect]]):
    """A transcript played in the engine's order, knowing which question each line answers
    (None: after the summary is reached)."""

    def __init__(self, steps: Transcript, asked: list[str | None]) -> None:
        super().__init__(steps)
        self.asked = asked

    def until(self, question: str) -> Transcript:
        """Return the lines typed before `question` is first answered."""
        return list(self[: self.asked.index(question)])


def interview(answers: list[Answer], *, then: Transcript) -> Interview:
    """Play `answers` in the order the interview asks its questions, then `then` (from the
    summary on); a question asked with no answer left gets its example from questions.yaml.
    Raises when an answer is left over (its question is never asked)."""
    pack = load_pack("example")
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=TODAY)
    spec = load_spec(pack.city.zh, pack.city.en, tuple(s.value for s in pack.subject_types))
    waiting: dict[str, deque[tuple[str, Expect]]] = defaultdict(deque)
    for question, said, expected in answers:
        waiting[question].append((said, expected))
    state = begin(ctx).state
    steps: Transcript = []
    asked: list[str | None] = []
    while state.state is not Stage.SUMMARY:
        question = state.question
        assert question is not None, f"the interview stopped at {state.state} after {steps[-1:]}"
        if waiting[question]:
            said, expected = waiting[question].popleft()
        else:  # a question this transcript does not know: its example, nothing checked
            worded = spec.worded(spec.by_id[question], state.answers.get("subject_type"))
            said, expected = worded.example.zh, ()
            assert not asked or asked[-1] != question, f"{question}: its example is refused"
        steps.append((said, expected))
        asked.append(question)
        state = handle(state, Input.typed(said), ctx).state
    left = {q: list(a) for q, a in waiting.items() if a}
    assert not left, f"answers to questions never asked: {left}"
    return Interview(steps + then, asked + [None] * len(then))


# An enterprise, maintained here with its server in Hangzhou (two bureaus, in order).
ENTERPRISE = interview(
    [
        (
            "subject_type",
            "企叶",
            ("✔ 企业", "第2/7步 · 维护地", "网站系统在哪里维护"),
        ),  # a typo still picks 企业
        ("maintenance", "本市", ("第3/7步 · 服务器所在地", "网站服务器放在哪里")),
        ("server", "２", "服务器在哪个城市"),  # full-width digit = option 2 (外地)
        (
            "server_city",
            "杭州",
            ("【备案地点】", "1. 示例市公安局", "2. 服务器托管地（杭州）", "先到"),
        ),
        (
            "connection_date",
            "2026年11月20日",
            ("2026年12月21日", "还剩23天", "第5/7步 · 开办主体信息", "开办单位的全称"),
        ),
        ("subject_name", "示例云帆科技有限公司", "统一社会信用代码"),
        (
            "credential",
            "91330106MA2B3C4D5X",
            ("这个答案不对", "校验", "统一社会信用代码"),
        ),  # bad check digit
        ("credential", "91330106ma2b3c4d5d", "通信地址"),  # lower case is fine
        ("address", "示例市示例区云帆路88号云帆大厦12层", "邮政编码"),
        ("postcode", "３１００１２", "固定电话"),  # full-width digits
        ("phone", "0571-88886666", "法定代表人（主要负责人）的姓名"),
        ("rep_name", "林云帆", ("法定代表人的证件号码", "居民身份证", "护照")),
        ("rep_id", "330106198506120015", "手机号码"),
        ("rep_mobile", "138 0013 8000", "电子邮箱"),
        ("rep_email", "linyf@yunfan.example.cn", ("第6/7步 · 网站信息", "网站叫什么名字")),
        ("site_name", "云帆科技官网", "域名"),
        ("domains", "www.yunfan.example.cn、yunfan.example.cn", ("✔ 已记录", "在哪家服务商注册")),
        ("registrars", "阿里云计算有限公司", ("✔ 已记录：阿里云计算有限公司", "公网IP")),
        ("ips", "47.96.12.34", ("已记录：47.96.12.34", "完成")),  # one by one: collects
        ("ips", "完成", "几台服务器"),
        ("server_count", "2", "ICP备案号"),
        ("icp", "浙ICP备2025012345号-1", "接入"),
        ("provider", "阿里云计算有限公司", "哪个地区"),
        ("provider_region", "浙江省杭州市", "联系电话"),
        ("provider_phone", "95187", "组织机构代码"),
        ("provider_code", "67395965-4", "接入方式"),
        ("access", "云服务器", ("✔ 云主机", "物理地址")),
        ("server_addr", "浙江省杭州市余杭区（阿里云华东1可用区）", "提供哪些服务"),
        ("services", "1", ("已选：单位门户网站", "完成")),
        ("services", "完成", "经营性还是非经营性"),
        ("commercial", "非经营性", ("✔ 非经营性", "哪些语言")),
        ("languages", "中文简体 和 英文", ("✔ 已记录：中文简体、英文", "交互式服务")),
        ("interactive", "没有", ("✔ 否", "管制物品")),
        ("controlled", "否", ("✔ 否", "前置审批")),
        ("pre_approvals", "无", ("安全保护技术措施", "1. 部署防火墙", "采用建议")),
        (
            "measures_use",
            "采用建议",
            ("安全管理制度", "工作人员网络安全教育和培训制度"),
        ),  # a unit trains its staff
        ("policies_use", "1", "网络安全负责人是否就是法定代表人"),
        ("officer_same", "否", "网络安全负责人的姓名"),
        ("officer_name", "周安", "网络安全负责人的证件号码"),
        ("officer_id", "330102199001010020", "网络安全负责人的手机"),
        ("officer_mobile", "13900139000", "网络安全负责人的电子邮箱"),
        ("officer_email", "security@yunfan.example.cn", "24小时应急联系人是谁"),
        ("contact_same", "另填一人", "24小时应急联系人的姓名"),
        ("contact_name", "陈急", "证件号码"),
        ("contact_id", "330106199203150035", "手机"),
        ("contact_mobile", "13700137000", "电子邮箱"),
        (
            "contact_email",
            "oncall@yunfan.example.cn",
            (
                "请核对你的全部信息",
                "云帆科技官网",
                "应急联系人姓名：陈急",
                "确认无误",
                "修改：网站信息",
            ),
        ),
    ],
    then=[
        ("/edit 域名", ("域名目前是：www.yunfan.example.cn、yunfan.example.cn", "添加")),
        ("添加", ("已记录：www.yunfan.example.cn、yunfan.example.cn", "完成")),
        ("m.yunfan.example.cn", "已记录：www.yunfan.example.cn、yunfan.example.cn、m.yunfan"),
        ("完成", ("请核对", "m.yunfan")),
        ("确认", ("文件已准备好", "【接下来】", "最迟于2026年12月21日（含当日）")),
    ],
)

# A public institution maintained in Shanghai with its server here; interactive services.
GOVERNMENT = interview(
    [
        ("subject_type", "事业单位", ("✔ 政府机关、事业单位", "网站系统在哪里维护")),
        ("maintenance", "外地", "在哪个城市维护"),
        ("maintenance_city", "上海", "网站服务器放在哪里"),
        (
            "server",
            "本地",
            ("【备案地点】", "1. 网站系统维护地（上海）", "2. 示例市公安局", "先到"),
        ),
        ("connection_date", "2026/11/2", ("2026年12月2日", "还剩4天")),
        ("subject_name", "示例市图书馆", ("统一社会信用代码", "组织机构代码")),
        ("credential", "12330100MB1234567B", "通信地址"),
        ("address", "示例市示例区文化路1号", "邮政编码"),
        ("postcode", "310000", "固定电话"),
        ("phone", "0571-87654321", "姓名"),
        ("rep_name", "王书海", "证件号码"),
        ("rep_id", "110108198808080049", "手机"),
        ("rep_mobile", "13600136000", "电子邮箱"),
        ("rep_email", "/skip", "网站叫什么名字"),
        ("site_name", "示例市图书馆", "域名"),
        ("domains", "lib.example.gov.cn", "已记录"),
        ("domains", "完成", "在哪家服务商注册"),
        ("registrars", "北京新网数码信息技术有限公司", "IP"),
        ("ips", "47.96.12.35、240e:3b0::1", "几台"),
        ("server_count", "一", "ICP"),
        ("icp", "浙ICP备12345678号-2", "接入"),
        ("provider", "中国电信股份有限公司示例分公司", "地区"),
        ("provider_region", "浙江省杭州市", "电话"),
        ("provider_phone", "10000", "组织机构代码"),
        ("provider_code", "71093041-3", "接入方式"),
        ("access", "托管", ("✔ 主机托管", "物理地址")),
        ("server_addr", "示例市示例区数据中心路9号 电信IDC机房", "服务"),
        (
            "services",
            "1和2",
            ("✔ 已记录：单位门户网站、综合信息", "经营性"),
        ),  # two at once: moves on
        ("commercial", "1", ("✔ 非经营性", "语言")),
        ("languages", "1", "已选：中文简体"),
        ("languages", "完成", "交互式"),
        ("interactive", "是", "有哪些交互式栏目"),
        ("inter_services", "读者留言板，在线咨询", ("✔ 已记录：留言板、在线咨询", "管制物品")),
        ("controlled", "否", "前置审批"),
        (
            "pre_approvals",
            "/skip",
            ("安全保护技术措施", "用户注册实行真实身份信息认证"),
        ),  # interactive: more to do
        ("measures_use", "自己填写", "请写出网站的安全保护技术措施"),
        (
            "measures",
            "部署防火墙，日志留存六个月",
            ("✔", "安全管理制度", "用户注册登记和信息管理制度"),
        ),
        ("policies_use", "采用", "网络安全负责人是否"),
        ("officer_same", "不是", "姓名"),
        ("officer_name", "赵守", "证件号码"),
        ("officer_id", "330105199511200050", "手机"),
        ("officer_mobile", "13500135000", "邮箱"),
        ("officer_email", "it@lib.example.gov.cn", "应急联系人是谁"),
        (
            "contact_same",
            "2",
            ("✔ 同网络安全负责人", "请核对", "留言板、在线咨询", "同安全负责人（赵守）"),
        ),
    ],
    then=[
        ("1", ("文件已准备好", "【接下来】")),
    ],
)

# A personal blog (comments: interactive): the person's own ID, no legal representative.
INDIVIDUAL = interview(
    [
        ("subject_type", "个人网站", ("✔ 个人", "维护")),
        ("maintenance", "1", "服务器"),
        ("server", "1", ("【备案地点】", "只需到示例市公安局")),
        ("connection_date", "11月25日", ("2026年12月25日", "还剩27天", "请输入你的姓名")),
        ("subject_name", "林小𠮷", ("你的证件号码", "居民身份证")),
        (
            "credential",
            "91330106MA2B3C4D5D",
            ("这个答案不对", "这是统一社会信用代码"),
        ),  # a USCC for an ID
        ("credential", "330106198506120015", "常住地址"),
        ("address", "示例市示例区㵘水街3号2单元501室", "邮政编码"),
        ("postcode", "310013", "你的手机号码"),  # no office phone, no representative for a person
        ("rep_mobile", "13800138000", "你的电子邮箱"),
        ("rep_email", "xiaoji@example.cn", "网站叫什么名字"),
        ("site_name", "小𠮷的笔记", "域名"),
        ("domains", "blog.xiaoji.example.cn", "已记录"),
        ("domains", "好了", "在哪家服务商注册"),
        ("registrars", "腾讯云计算（北京）有限责任公司", "IP"),
        ("ips", "47.96.12.36", "已记录"),
        ("ips", "done", "几台"),
        ("server_count", "1", "ICP"),
        ("icp", "浙ICP备2026001234号-1", "接入"),
        ("provider", "腾讯云计算（北京）有限责任公司", "地区"),
        ("provider_region", "北京市海淀区", "电话"),
        ("provider_phone", "95716", "组织机构代码"),
        ("provider_code", "10001012-6", "接入方式"),
        ("access", "4", "物理地址"),
        ("server_addr", "示例市示例区云计算中心", "服务"),
        ("services", "博客", "已选：博客/个人空间"),
        ("services", "完成", "经营性"),
        ("commercial", "非经营性", "语言"),
        ("languages", "中文简体", "已选：中文简体"),
        ("languages", "完成", "交互式"),
        ("interactive", "是", "交互式栏目"),
        ("inter_services", "文章评论", "已选：评论"),  # the option its name contains
        ("inter_services", "完成", "管制物品"),
        ("controlled", "否", "前置审批"),
        ("pre_approvals", "无", "安全保护技术措施"),
        ("measures_use", "1", "安全管理制度"),
        ("policies_use", "采用建议", "就是你本人"),
        ("officer_same", "是", ("应急联系人是谁", "本人")),
        ("contact_same", "另填一人", "姓名"),
        ("contact_name", "林大𠮷", "证件号码"),
        ("contact_id", "330102199001010020", "手机"),
        ("contact_mobile", "13900139000", "邮箱"),
        (
            "contact_email",
            "跳过",
            ("请核对", "林小𠮷", "林大𠮷", "安全负责人是否为本人：本人（林小𠮷）"),
        ),
    ],
    then=[
        ("确认提交", "文件已准备好"),
    ],
)

SUBMITTING: dict[str, Interview] = {
    "enterprise": ENTERPRISE,
    "government": GOVERNMENT,
    "individual": INDIVIDUAL,
}
