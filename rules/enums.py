"""The domain's closed vocabularies, shared by every package."""

from __future__ import annotations

from enum import StrEnum


class SubjectType(StrEnum):
    """Who runs the site (开办主体)."""

    GOVERNMENT = "government"  # 政府机关、事业单位
    ENTERPRISE = "enterprise"  # 企业
    INDIVIDUAL = "individual"  # 个人
    SOCIAL_ORG = "social_org"  # 社会团体 (where the city's pack takes it)
    OTHER = "other"  # 其他 (where the city's pack takes it)


class Location(StrEnum):
    """Where maintenance or the server is, seen from this city."""

    LOCAL = "local"
    ELSEWHERE = "elsewhere"


class RouteWhere(StrEnum):
    """Which bureau a routing step names."""

    LOCAL = "local"
    MAINTENANCE = "maintenance"
    SERVER = "server"


class PeriodKind(StrEnum):
    """The clocks of the procedure (filing-rules.md A1, A3)."""

    FILING = "filing"  # 联通后30日内备案
    INITIAL_REVIEW = "initial-review"  # 初审 5个工作日
    MATERIALS = "materials"  # 初审合格后5个工作日内送材料
    RE_REVIEW = "re-review"  # 复审 3个工作日
    CHANGE = "change"  # 变更后N日内书面说明


class FilingStatus(StrEnum):
    """Where a filing is in its lifecycle."""

    PREPARED = "prepared"  # the interview confirmed, documents made: nothing sent to a bureau
    SUBMITTED = "submitted"  # the applicant submitted it in the filing system
    INITIAL_REVIEW_PASSED = "initial_review_passed"
    RETURNED = "returned"  # 退回整改
    RESUBMITTED = "resubmitted"
    MATERIALS_RECEIVED = "materials_received"
    CERTIFIED = "certified"
    CHANGE_REPORTED = "change_reported"
    CANCELLED = "cancelled"


class InterviewStatus(StrEnum):
    """Whether an interview is still being answered."""

    ACTIVE = "active"
    DONE = "done"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    """An outbox row's state."""

    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"
    FAILED = "failed"


class DocumentKind(StrEnum):
    """The documents beian renders."""

    FILING_FORM = "filing-form"  # 计算机信息网络国际联网单位备案表
    RESPONSIBILITY = "responsibility"  # ICP(网站)安全责任告知书
    CHECKLIST = "checklist"  # 复审材料清单
    GUIDE = "guide"  # 办理指引
    CHANGE_REPORT = "change-report"  # 网站备案变更情况书面说明
    CANCELLATION = "cancellation"  # 网站备案注销情况书面说明


# The field checks `beian check FIELD` offers (rules.fields.CHECKS implements each).
CHECK_NAMES: tuple[str, ...] = (
    "uscc",
    "id-card",
    "org-code",
    "icp",
    "psb-number",
    "phone",
    "mobile",
    "domain",
    "ip",
    "email",
    "postcode",
    "date",
)
