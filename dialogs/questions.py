"""The questions: what each asks, how its answer is read, and when it applies."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property
from typing import Any

from dialogs.model import Stage
from rules.answers import ACCESS_METHOD_LABELS, SERVICE_TYPES, AccessMethod, Website, list_limit
from rules.enums import Location, SubjectType
from rules.fields import fold
from rules.materials import SUBJECT_LABELS
from rules.text import Text, t


class Kind(StrEnum):
    """How an answer is read."""

    CHOICE = "choice"  # one option
    YESNO = "yesno"  # 是/否, stored as a bool
    TEXT = "text"  # free text, optionally through a field check
    MULTI = "multi"  # several values, each through the check
    MULTI_CHOICE = "multi_choice"  # several options
    DATE = "date"  # a date, or the "not online yet" option


_IGNORED = re.compile(r"[\s。.,，!！?？:：;；\"'“”‘’()（）]")


def normalize(text: str) -> str:
    """Fold width and case and drop spaces and punctuation, for matching what people type."""
    return _IGNORED.sub("", fold(text)).lower()


@dataclass(frozen=True)
class Option:
    """A choice with the words people use for it."""

    id: str
    label: Text
    synonyms: tuple[str, ...] = ()
    hint: Text | None = None

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Every name the option answers to, normalized (computed once per option)."""
        words = (self.id, self.label.zh, self.label.en, *self.synonyms)
        return tuple(normalize(word) for word in words if word)


Answers = dict[str, Any]


@dataclass(frozen=True)
class Question:
    """One question of the interview."""

    id: str  # short, ASCII: it travels in callback data
    stage: Stage
    key: str  # where the answer goes in the flat answers
    label: Text  # the field's name in the summary and for /edit
    prompt: Text
    help: Text
    example: str
    kind: Kind = Kind.TEXT
    check: str | None = None  # a rules.fields check name, or "credential"
    options: tuple[Option, ...] = ()
    optional: bool = False
    applies: Callable[[Answers], bool] = lambda _a: True
    max_length: int = 200
    max_items: int | None = None  # lists: the most values the answers schema allows


def _always(_a: Answers) -> bool:
    return True


def _is(key: str, value: object) -> Callable[[Answers], bool]:
    return lambda a: a.get(key) == value


def _not_individual(a: Answers) -> bool:
    return a.get("subject_type") != SubjectType.INDIVIDUAL.value


def _is_individual(a: Answers) -> bool:
    return a.get("subject_type") == SubjectType.INDIVIDUAL.value


def _officer_own(a: Answers) -> bool:
    return a.get("officer.same") is False


def _contact_own(a: Answers) -> bool:
    return a.get("contact.same") == "other"


YES = Option("yes", t("是", "Yes"), ("是", "是的", "对", "有", "y", "yes", "好", "嗯"))
NO = Option("no", t("否", "No"), ("否", "不是", "不", "没有", "无", "n", "no", "不对"))

SUBJECT_OPTIONS = (
    Option(
        SubjectType.GOVERNMENT.value,
        SUBJECT_LABELS[SubjectType.GOVERNMENT],
        ("政府", "机关", "事业单位", "政府机关", "单位", "学校", "医院", "gov", "government"),
        t("党政机关、事业单位（学校、医院等）", "Party and state organs, public institutions"),
    ),
    Option(
        SubjectType.ENTERPRISE.value,
        SUBJECT_LABELS[SubjectType.ENTERPRISE],
        ("企业", "公司", "有限公司", "商家", "enterprise", "company", "business"),
        t(
            "公司、个体工商户等有统一社会信用代码的组织",
            "Companies and other registered businesses",
        ),
    ),
    Option(
        SubjectType.INDIVIDUAL.value,
        SUBJECT_LABELS[SubjectType.INDIVIDUAL],
        ("个人", "自己", "私人", "本人", "个人网站", "individual", "personal", "person"),
        t("以本人名义开办的网站，如个人博客", "A site in your own name, e.g. a personal blog"),
    ),
)


def location_options(city: Text) -> tuple[Option, ...]:
    """Return 'this city / elsewhere' with the city's name in the labels."""
    return (
        Option(
            Location.LOCAL.value,
            t(f"本市（{city.zh}）", f"This city ({city.en})"),
            ("本市", "本地", "市内", city.zh, "这里", "local", "here", "this city"),
        ),
        Option(
            Location.ELSEWHERE.value,
            t("外地", "Elsewhere"),
            ("外地", "外市", "外省", "其他城市", "不在本市", "不在本地", "elsewhere", "other city"),
        ),
    )


NOT_ONLINE = Option(
    "not_online",
    t("网站还没有开通", "Not online yet"),
    ("还没开通", "还没上线", "未开通", "未上线", "没上线", "尚未开通", "没有", "not yet", "no"),
)

ACCESS_OPTIONS = tuple(
    Option(m.value, ACCESS_METHOD_LABELS[m], syn)
    for m, syn in (
        (AccessMethod.SELF_BUILT, ("自建", "自己机房", "自有机房", "own")),
        (AccessMethod.HOSTED, ("托管", "主机托管", "hosting", "colocation")),
        (AccessMethod.VIRTUAL_HOST, ("虚拟空间", "虚拟主机", "空间", "virtual")),
        (AccessMethod.CLOUD, ("云", "云服务器", "云主机", "阿里云", "腾讯云", "cloud", "ecs")),
    )
)

SERVICE_OPTIONS = tuple(Option(key, label) for key, label in SERVICE_TYPES.items())

CONTACT_OPTIONS = (
    Option("responsible", t("同法定代表人/负责人", "Same as the legal representative")),
    Option("officer", t("同安全负责人", "Same as the security officer")),
    Option("other", t("另填一人", "Someone else"), ("其他人", "别人", "另外", "other")),
)


def _person(
    prefix: str, who: Text, stage: Stage, applies: Callable[[Answers], bool]
) -> list[Question]:
    return [
        Question(
            f"{prefix}_name",
            stage,
            f"{_KEYS[prefix]}.name",
            t(f"{who.zh}姓名", f"{who.en}: name"),
            t(f"请输入{who.zh}的姓名。", f"The {who.en}'s full name?"),
            t("与身份证上的姓名一致。", "As on the ID card."),
            "张三",
            applies=applies,
            max_length=50,
        ),
        Question(
            f"{prefix}_id",
            stage,
            f"{_KEYS[prefix]}.id_number",
            t(f"{who.zh}身份证号", f"{who.en}: ID number"),
            t(
                f"请输入{who.zh}的18位居民身份证号码。",
                f"The {who.en}'s 18-digit resident ID number?",
            ),
            t("18位，最后一位可能是X。", "18 characters; the last may be X."),
            "11010519491231002X",
            check="id-card",
            applies=applies,
        ),
        Question(
            f"{prefix}_mobile",
            stage,
            f"{_KEYS[prefix]}.mobile",
            t(f"{who.zh}手机", f"{who.en}: mobile"),
            t(f"请输入{who.zh}的手机号码。", f"The {who.en}'s mobile number?"),
            t("中国大陆11位手机号码。", "An 11-digit mainland China mobile number."),
            "13800138000",
            check="mobile",
            applies=_always if prefix == "rep" else applies,
        ),
        Question(
            f"{prefix}_email",
            stage,
            f"{_KEYS[prefix]}.email",
            t(f"{who.zh}电子邮箱", f"{who.en}: e-mail"),
            t(
                f"请输入{who.zh}的电子邮箱（没有可发送 /skip 跳过）。",
                f"The {who.en}'s e-mail address (send /skip if none)?",
            ),
            t("用于接收通知的邮箱。", "An address for notices."),
            "name@example.cn",
            check="email",
            optional=True,
            applies=_always if prefix == "rep" else applies,
        ),
    ]


_KEYS = {"rep": "responsible", "officer": "security_officer", "contact": "emergency_contact"}

REP = t("法定代表人/负责人", "legal representative")
OFFICER = t("网络安全负责人", "security officer")
CONTACT = t("24小时应急联系人", "24-hour emergency contact")


def _rep_applies(a: Answers) -> bool:
    return _not_individual(a)


def build_questions(city: Text) -> tuple[Question, ...]:
    """Return every question in the order asked."""
    locations = location_options(city)
    # An individual is their own responsible person: name and ID come from the subject.
    rep = _person("rep", REP, Stage.SUBJECT, _rep_applies)
    questions: list[Question] = [
        Question(
            "subject_type",
            Stage.SUBJECT_TYPE,
            "subject_type",
            t("开办主体类型", "Subject type"),
            t("网站是以什么身份开办的？", "Who runs the website?"),
            t(
                "政府机关和事业单位、企业、个人需要带的材料不同。",
                "Government bodies, enterprises and individuals bring different materials.",
            ),
            "企业",
            kind=Kind.CHOICE,
            options=SUBJECT_OPTIONS,
        ),
        Question(
            "maintenance",
            Stage.MAINTENANCE,
            "maintenance",
            t("系统维护地", "Maintained in"),
            t(
                "网站系统在哪里维护（管理员在哪里办公）？",
                "Where is the site maintained (by its admins)?",
            ),
            t(
                "维护地和服务器所在地决定到哪个网安部门备案。",
                "Where it is maintained and where the server is decide which bureau you file with.",
            ),
            "本市",
            kind=Kind.CHOICE,
            options=locations,
        ),
        Question(
            "maintenance_city",
            Stage.MAINTENANCE,
            "maintenance_city",
            t("维护地城市", "Maintenance city"),
            t("在哪个城市维护？", "In which city is it maintained?"),
            t("写城市名即可。", "Just the city's name."),
            "杭州",
            applies=_is("maintenance", Location.ELSEWHERE.value),
            max_length=50,
        ),
        Question(
            "server",
            Stage.SERVER,
            "server",
            t("服务器所在地", "Server in"),
            t("网站服务器放在哪里？", "Where is the website's server?"),
            t(
                "云主机按云服务商机房所在城市填写。",
                "For a cloud server, the city of the provider's data centre.",
            ),
            "外地",
            kind=Kind.CHOICE,
            options=locations,
        ),
        Question(
            "server_city",
            Stage.SERVER,
            "server_city",
            t("服务器城市", "Server city"),
            t("服务器在哪个城市？", "In which city is the server?"),
            t("写城市名即可。", "Just the city's name."),
            "杭州",
            applies=_is("server", Location.ELSEWHERE.value),
            max_length=50,
        ),
        Question(
            "connection_date",
            Stage.CONNECTION_DATE,
            "connection_date",
            t("网站开通日期", "Online since"),
            t(
                "网站是哪天开通（联网）的？还没开通请选“网站还没有开通”。",
                "On which day did the site go online? If it is not online yet, say so.",
            ),
            t(
                "备案期限从开通之日起算。可以写 2026-11-20、2026年11月20日、11月20日或“昨天”。",
                "The filing clock starts that day. Write 2026-11-20, or “yesterday”.",
            ),
            "2026-11-20",
            kind=Kind.DATE,
            options=(NOT_ONLINE,),
        ),
        Question(
            "subject_name",
            Stage.SUBJECT,
            "subject.name",
            t("单位名称/姓名", "Name of the unit or person"),
            t("请输入开办单位的全称（个人请输入姓名）。", "Full name of the unit (or your name)?"),
            t("与营业执照、证书或身份证上的完全一致。", "Exactly as on the licence or ID card."),
            "示例云帆科技有限公司",
        ),
        Question(
            "credential",
            Stage.SUBJECT,
            "subject.credential_number",
            t("证件号码", "Credential number"),
            t(
                "请输入统一社会信用代码（个人请输入身份证号）。",
                "The unified social credit code (an individual: ID number)?",
            ),
            t(
                "统一社会信用代码为18位，见营业执照或法人证书；机关可填组织机构代码。",
                "18 characters on the business licence; a government body may give its "
                "organisation code.",
            ),
            "91330106MA2B3C4D5D",
            check="credential",
        ),
        Question(
            "address",
            Stage.SUBJECT,
            "subject.address",
            t("通信地址", "Address"),
            t("请输入通信地址。", "Postal address?"),
            t("写到门牌号。", "Down to the house number."),
            "示例市示例区云帆路88号",
            max_length=1000,
        ),
        Question(
            "postcode",
            Stage.SUBJECT,
            "subject.postcode",
            t("邮政编码", "Postcode"),
            t("请输入邮政编码。", "Postcode?"),
            t("6位数字。", "Six digits."),
            "310012",
            check="postcode",
        ),
        Question(
            "phone",
            Stage.SUBJECT,
            "subject.phone",
            t("单位电话", "Office phone"),
            t(
                "请输入单位的固定电话（没有可发送 /skip 跳过）。",
                "Office phone (send /skip if none)?",
            ),
            t("带区号的固定电话，或手机号。", "A landline with area code, or a mobile."),
            "0571-88886666",
            check="phone",
            optional=True,
            applies=_not_individual,
        ),
        *rep,
        Question(
            "site_name",
            Stage.WEBSITE,
            "website.name",
            t("网站名称", "Website name"),
            t("网站叫什么名字？", "The website's name?"),
            t("与ICP备案的网站名称一致。", "As in the ICP filing."),
            "云帆科技官网",
        ),
        Question(
            "domains",
            Stage.WEBSITE,
            "website.domains",
            t("域名", "Domains"),
            t(
                "网站的域名是什么？可以一次输入多个（用逗号、顿号或换行分隔），也可以一个一个发。",
                "The site's domain names? Several at once (comma-separated) or one by one.",
            ),
            t("不要写 http:// 和路径。", "Without http:// or paths."),
            "www.example.cn、example.cn",
            kind=Kind.MULTI,
            max_items=list_limit(Website, "domains"),
            check="domain",
        ),
        Question(
            "ips",
            Stage.WEBSITE,
            "website.ips",
            t("IP地址", "IP addresses"),
            t("网站服务器的公网IP地址？可以输入多个。", "The server's public IP addresses?"),
            t("公网IPv4或IPv6地址。", "Public IPv4 or IPv6 addresses."),
            "47.96.12.34",
            kind=Kind.MULTI,
            max_items=list_limit(Website, "ips"),
            check="ip",
        ),
        Question(
            "icp",
            Stage.WEBSITE,
            "website.icp_number",
            t("ICP备案号", "ICP number"),
            t("网站的ICP备案号是多少？", "The site's ICP filing number?"),
            t("网站底部或工信部备案系统可查到。", "Shown at the foot of the site."),
            "浙ICP备2025012345号-1",
            check="icp",
        ),
        Question(
            "provider",
            Stage.WEBSITE,
            "website.access_provider",
            t("接入服务商", "Access provider"),
            t("网站由哪家服务商接入（如云服务商、机房）？", "Which provider connects the site?"),
            t("写服务商的全称。", "The provider's full name."),
            "阿里云计算有限公司",
        ),
        Question(
            "access",
            Stage.WEBSITE,
            "website.access_method",
            t("接入方式", "Access method"),
            t("网站的接入方式是？", "How is the site hosted?"),
            t("买的云服务器选“云主机”。", "A rented cloud server is “cloud server”."),
            "云主机",
            kind=Kind.CHOICE,
            options=ACCESS_OPTIONS,
        ),
        Question(
            "server_addr",
            Stage.WEBSITE,
            "website.server_address",
            t("服务器存放地址", "Server location"),
            t("服务器存放的物理地址？", "Where does the server physically stand?"),
            t("云主机写服务商机房所在地区。", "For cloud servers: the provider's region."),
            "浙江省杭州市余杭区（阿里云华东1）",
            max_length=1000,
        ),
        Question(
            "services",
            Stage.WEBSITE,
            "website.service_types",
            t("服务类型", "Service types"),
            t(
                "网站提供哪些服务？可以多选（如“1、3”）。",
                "What does the site offer? Pick one or more.",
            ),
            t("按网站的主要内容选择。", "Pick by the site's main content."),
            "1",
            kind=Kind.MULTI_CHOICE,
            max_items=list_limit(Website, "service_types"),
            options=SERVICE_OPTIONS,
        ),
        Question(
            "interactive",
            Stage.WEBSITE,
            "website.interactive",
            t("交互式服务", "Interactive"),
            t(
                "网站是否提供交互式服务（评论、论坛、留言、聊天等用户可发布信息的功能）？",
                "Can users post on the site (comments, forum, chat…)?",
            ),
            t("有用户发布内容的功能就选“是”。", "Anything users can publish counts."),
            "否",
            kind=Kind.YESNO,
            options=(YES, NO),
        ),
        Question(
            "inter_services",
            Stage.WEBSITE,
            "website.interactive_services",
            t("交互式栏目", "Interactive services"),
            t("有哪些交互式栏目？可以输入多个。", "Which interactive services? Several allowed."),
            t("如：留言板、评论、论坛。", "E.g. guestbook, comments, forum."),
            "留言板、评论",
            kind=Kind.MULTI,
            max_items=list_limit(Website, "interactive_services"),
            applies=_is("website.interactive", True),
        ),
        Question(
            "pre_approvals",
            Stage.WEBSITE,
            "website.pre_approvals",
            t("前置审批", "Pre-approvals"),
            t(
                "有没有前置审批（如新闻、出版、药品等许可）？有请写名称和证号，没有请回复“无”。",
                "Any pre-approvals (news, publishing, medicine licences)? "
                "Name and number, or “none”.",
            ),
            t("大多数网站没有，回复“无”即可。", "Most sites have none: reply “none”."),
            "无",
            kind=Kind.MULTI,
            max_items=list_limit(Website, "pre_approvals"),
            optional=True,
            max_length=1000,
        ),
        Question(
            "officer_same",
            Stage.PEOPLE,
            "officer.same",
            t("安全负责人同负责人", "Officer is the representative"),
            t(
                "网络安全负责人是否就是法定代表人/负责人本人？",
                "Is the security officer the legal representative?",
            ),
            t("选“是”就不用再填一遍。", "“Yes” saves typing the same person again."),
            "是",
            kind=Kind.YESNO,
            options=(YES, NO),
        ),
        *_person("officer", OFFICER, Stage.PEOPLE, _officer_own),
        Question(
            "contact_same",
            Stage.PEOPLE,
            "contact.same",
            t("应急联系人", "Emergency contact"),
            t("24小时应急联系人是谁？", "Who is the 24-hour emergency contact?"),
            t(
                "出现安全事件时，网安部门会随时联系此人。",
                "The bureau calls this person at any hour in an incident.",
            ),
            "另填一人",
            kind=Kind.CHOICE,
            options=CONTACT_OPTIONS,
        ),
        *_person("contact", CONTACT, Stage.PEOPLE, _contact_own),
    ]
    return tuple(questions)


def individual_wording(question: Question) -> Question:
    """Ask an individual about themselves, not about a unit."""
    words = _INDIVIDUAL.get(question.id)
    if words is None:
        return question
    label, prompt, help_, example, check = words
    return replace(
        question,
        label=label,
        prompt=prompt,
        help=help_,
        example=example,
        check=check or question.check,
    )


_INDIVIDUAL: dict[str, tuple[Text, Text, Text, str, str | None]] = {
    "subject_name": (
        t("姓名", "Name"),
        t("请输入你的姓名。", "Your full name?"),
        t("与身份证上的姓名一致。", "As on your ID card."),
        "张三",
        None,
    ),
    "credential": (
        t("身份证号", "ID number"),
        t("请输入你的18位居民身份证号码。", "Your 18-digit resident ID number?"),
        t("18位，最后一位可能是X。", "18 characters; the last may be X."),
        "11010519491231002X",
        None,
    ),
    "rep_mobile": (
        t("手机", "Mobile"),
        t("请输入你的手机号码。", "Your mobile number?"),
        t("中国大陆11位手机号码。", "An 11-digit mainland China mobile number."),
        "13800138000",
        None,
    ),
    "rep_email": (
        t("电子邮箱", "E-mail"),
        t("请输入你的电子邮箱（没有可发送 /skip 跳过）。", "Your e-mail (send /skip if none)?"),
        t("用于接收通知的邮箱。", "An address for notices."),
        "name@example.cn",
        None,
    ),
    "officer_same": (
        t("安全负责人是本人", "Officer is you"),
        t("网络安全负责人是否就是你本人？", "Are you the security officer yourself?"),
        t("个人网站通常是本人。", "For a personal site usually yes."),
        "是",
        None,
    ),
}
