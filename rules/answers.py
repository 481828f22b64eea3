"""What an applicant answers: one validated object shared by the interview and the documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from rules.codes import ID_TYPES, check_org_or_uscc, check_person_id, unit_credential_label
from rules.contacts import check_service_phone
from rules.enums import Location, SubjectType
from rules.fields import (
    FieldResult,
    check_credential,
    check_domain,
    check_email,
    check_icp,
    check_id_card,
    check_ip,
    check_mobile,
    check_phone,
    check_plain_text,
    check_postcode,
    check_psb_number,
    check_uscc,
)
from rules.names import check_city, check_person_name, check_unit_name
from rules.text import Lang, Text, t


def _checked(check: Callable[[str], FieldResult]) -> AfterValidator:
    def run(value: str) -> str:
        result = check(value)
        if not result.valid or result.normalized is None:
            error = result.error or t("无效", "invalid")
            raise PydanticCustomError("field_check", "{zh}", {"zh": error.zh, "en": error.en})
        return result.normalized

    return AfterValidator(run)


# Trimmed, white space folded; empty text and control characters refused.
PlainText = _checked(check_plain_text)

Name = Annotated[str, Field(max_length=200), PlainText]
LongText = Annotated[str, Field(max_length=1000), PlainText]
USCC = Annotated[str, _checked(check_uscc)]
IDCard = Annotated[str, _checked(check_id_card)]
Mobile = Annotated[str, _checked(check_mobile)]
Phone = Annotated[str, _checked(check_phone)]
Email = Annotated[str, _checked(check_email)]
Postcode = Annotated[str, _checked(check_postcode)]
Domain = Annotated[str, _checked(check_domain)]
IP = Annotated[str, _checked(check_ip)]
ICP = Annotated[str, _checked(check_icp)]
PsbNumber = Annotated[str, _checked(check_psb_number)]  # 公安备案号, once issued


class AccessMethod(StrEnum):
    """How the site reaches the network (接入方式)."""

    SELF_BUILT = "self_built"
    HOSTED = "hosted"
    VIRTUAL_HOST = "virtual_host"
    CLOUD = "cloud"


ACCESS_METHOD_LABELS: dict[AccessMethod, Text] = {
    AccessMethod.SELF_BUILT: t("自建机房", "own machine room"),
    AccessMethod.HOSTED: t("主机托管", "server colocation"),
    AccessMethod.VIRTUAL_HOST: t("租赁虚拟空间", "rented virtual hosting"),
    AccessMethod.CLOUD: t("云主机", "cloud server"),
}

SERVICE_TYPES: dict[str, Text] = {
    "portal": t("单位门户网站", "organisation portal"),
    "news": t("综合信息", "general information"),
    "blog": t("博客/个人空间", "blog / personal space"),
    "forum": t("论坛/社区", "forum / community"),
    "ecommerce": t("网络交易", "online trading"),
    "payment": t("网络支付", "online payment"),
    "search": t("搜索引擎", "search"),
    "video": t("网络视频", "online video"),
    "im": t("即时通信", "instant messaging"),
    "game": t("网络游戏", "online games"),
    "other": t("其他", "other"),
}


class _Answers(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _field_error(error: Text, field: str) -> PydanticCustomError:
    return PydanticCustomError(
        "field_check", "{zh}", {"zh": error.zh, "en": error.en, "field": field}
    )


PersonName = Annotated[str, Field(max_length=60), _checked(check_person_name)]
UnitName = Annotated[str, Field(max_length=200), _checked(check_unit_name)]
City = Annotated[str, Field(max_length=60), _checked(check_city)]
ServicePhone = Annotated[str, _checked(check_service_phone)]
OrgCode = Annotated[str, _checked(check_org_or_uscc)]
IdType = Literal["resident_id", "passport", "hk_macao_permit", "tw_permit", "foreign_permanent"]


class Person(_Answers):
    """A responsible person: legal representative, security officer or emergency contact."""

    name: PersonName
    id_type: IdType = "resident_id"  # 证件类型
    id_number: str
    mobile: Mobile
    email: Email | None = None

    @model_validator(mode="after")
    def _number_fits_its_type(self) -> Person:
        result = check_person_id(self.id_number, self.id_type)
        if not result.valid or result.normalized is None:
            raise _field_error(result.error or t("无效", "invalid"), "id_number")
        self.__dict__["id_number"] = result.normalized
        return self


class Subject(_Answers):
    """Who runs the site (开办主体)."""

    name: Name  # 单位名称 or 个人姓名 (checked as the one or the other by FilingAnswers)
    credential_type: IdType | None = None  # an individual's document type
    credential_number: str  # USCC (or organisation code) for units, an ID for persons
    address: LongText
    postcode: Postcode
    phone: Phone | None = None
    responsible: Person  # 法定代表人/主要负责人; for an individual: the person


class Website(_Answers):
    """The site being filed (the 备案表's website and provider sections).

    Fields the form added after the first version are optional here, so that an older
    filing still renders (a blank to fill in by hand); the interview asks every one."""

    name: UnitName
    domains: list[Domain] = Field(min_length=1, max_length=50)
    # 域名注册服务商: one for all the domains, or one per domain in their order.
    domain_registrars: list[UnitName] = Field(default_factory=list, max_length=50)
    ips: list[IP] = Field(min_length=1, max_length=50)
    server_count: int | None = Field(default=None, ge=1, le=10_000)  # 服务器台数
    icp_number: ICP
    access_provider: UnitName
    access_provider_region: City | None = None  # 接入服务商所在地区
    access_provider_phone: ServicePhone | None = None
    access_provider_code: OrgCode | None = None  # its 组织机构代码 (or credit code)
    access_method: AccessMethod
    server_address: LongText  # 服务器存放物理地址
    service_types: list[Annotated[str, Field(max_length=40), PlainText]] = Field(
        min_length=1, max_length=20
    )
    commercial: bool | None = None  # 经营性 (True) / 非经营性 (False)
    languages: list[Annotated[str, Field(max_length=20), PlainText]] = Field(
        default_factory=list, max_length=10
    )  # 网站语种
    interactive: bool
    interactive_services: list[Name] = Field(default_factory=list, max_length=20)
    controlled_items: bool | None = None  # 是否提供涉及管制物品信息发布服务
    pre_approvals: list[LongText] = Field(default_factory=list, max_length=20)  # 前置审批
    # 安全保护技术措施 and 安全管理制度 (the form's section 四): the suggested lists the
    # applicant accepted, or their own; None on older filings (left for handwriting).
    security_measures: list[LongText] | None = Field(default=None, max_length=20)
    security_policies: list[LongText] | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _registrars_fit_the_domains(self) -> Website:
        if len(self.domain_registrars) not in (0, 1, len(self.domains)):
            raise _field_error(
                t(
                    f"有{len(self.domains)}个域名、{len(self.domain_registrars)}个注册服务商："
                    "请填写一个（所有域名相同），或按域名顺序每个一个。",
                    f"{len(self.domains)} domains but {len(self.domain_registrars)} "
                    "registrars: give one for all, or one per domain in order.",
                ),
                "domain_registrars",
            )
        return self


class FilingAnswers(_Answers):
    """Everything the interview collects for one filing."""

    subject_type: SubjectType
    maintenance: Location
    maintenance_city: City | None = None
    server: Location
    server_city: City | None = None
    connection_date: dt.date | None = None  # None: the site is not online yet
    planned_online_date: dt.date | None = None  # when it is not: the planned go-live, if known
    subject: Subject
    website: Website
    security_officer: Person
    emergency_contact: Person
    psb_number: PsbNumber | None = None  # 公安备案号, once the filing is certified

    @field_validator("subject")
    @classmethod
    def _credential_fits_subject(cls, subject: Subject, info: ValidationInfo) -> Subject:
        subject_type = info.data.get("subject_type")
        individual = subject_type == SubjectType.INDIVIDUAL
        if individual:
            result = check_person_id(subject.credential_number, subject.credential_type)
        else:
            result = check_credential(subject.credential_number, subject_type)
        if not result.valid or result.normalized is None:
            raise _field_error(result.error or t("无效", "invalid"), "credential_number")
        name = (check_person_name if individual else check_unit_name)(subject.name)
        if not name.valid or name.normalized is None:
            raise _field_error(name.error or t("无效", "invalid"), "name")
        return subject.model_copy(
            update={"credential_number": result.normalized, "name": name.normalized}
        )

    @property
    def credential_label(self) -> Text:
        """Name the subject's credential the way the form does."""
        if self.subject_type is SubjectType.INDIVIDUAL:
            return ID_TYPES[self.subject.credential_type or "resident_id"] + t("号码", " number")
        return unit_credential_label(self.subject.credential_number)


def list_limit(model: type[BaseModel], name: str) -> int | None:
    """Return the most items the schema allows in the list field `name` of `model`."""
    for constraint in model.model_fields[name].metadata:
        limit = getattr(constraint, "max_length", None)
        if limit is not None:
            return int(limit)
    return None


# Pydantic's own messages are English; the ones a person can meet, in both languages.
_PYDANTIC_MESSAGES: dict[str, Text] = {
    "missing": t("缺少这一项", "this item is missing"),
    "too_long": t("最多{max_length}项", "at most {max_length} items"),
    "too_short": t("至少{min_length}项", "at least {min_length} item(s)"),
    "string_too_long": t("最多{max_length}个字", "at most {max_length} characters"),
    "string_too_short": t("不能为空", "cannot be empty"),
    "string_type": t("应为文字", "must be text"),
    "bool_parsing": t("应为“是”或“否”", "must be yes or no"),
    "bool_type": t("应为“是”或“否”", "must be yes or no"),
    "enum": t("不是可选的值", "is not one of the options"),
    "date_parsing": t("不是有效日期", "is not a valid date"),
    "date_from_datetime_parsing": t("不是有效日期", "is not a valid date"),
    "list_type": t("应为列表", "must be a list"),
    "extra_forbidden": t("不是表中的项目", "is not a field of the form"),
}


def problem_message(error: Any, lang: Lang) -> str:
    """Say what is wrong in one pydantic error, in `lang`."""
    ctx: dict[str, Any] = error.get("ctx") or {}
    if error["type"] == "field_check":
        return str(ctx.get(lang))
    known = _PYDANTIC_MESSAGES.get(error["type"])
    if known is None:
        return str(error["msg"])
    try:
        return known.fill(lang, **ctx)
    except (KeyError, IndexError):
        return str(error["msg"])


def answer_problems(exc: ValidationError, lang: Lang = "zh") -> list[str]:
    """Turn a validation error into one readable line per problem: `where: what`."""
    lines = []
    for error in exc.errors():
        ctx: dict[str, Any] = error.get("ctx") or {}
        loc = [str(p) for p in error["loc"]]
        if ctx.get("field"):
            loc.append(str(ctx["field"]))
        lines.append(f"{'.'.join(loc) or '(answers)'}: {problem_message(error, lang)}")
    return lines
