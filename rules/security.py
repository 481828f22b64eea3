"""Suggested text for the 备案表's section 四: security technical measures and management
systems, by subject type and by whether the site is interactive.

The items follow what the Measures require of a site (办法 Art. 10: management systems, technical
measures, staff training, registration and review of what users publish, reporting within 24
hours), 公安部令第82号 (records kept at least 60 days) and 网络安全法 Art. 21 (logs kept at least
six months). An applicant accepts the list in the interview or writes their own; the form is
filled in Chinese (the bureau reads Chinese), so the Chinese text is what is stored.
"""

from __future__ import annotations

from rules.enums import SubjectType
from rules.text import Text, t

_MEASURES = (
    t(
        "部署防火墙、防病毒和入侵防范措施，防范计算机病毒、网络入侵和攻击破坏",
        "Firewall, anti-virus and intrusion prevention against viruses, intrusion and attacks",
    ),
    t(
        "及时更新系统和应用程序补丁，定期进行漏洞扫描和安全检查",
        "System and application patches kept up to date; regular vulnerability scans",
    ),
    t(
        "记录并留存用户登录和退出时间、互联网地址、系统维护日志等，网络日志留存不少于六个月",
        "Logins and logouts, internet addresses and maintenance logs recorded; logs kept at "
        "least six months",
    ),
    t(
        "重要数据定期备份，具备系统和数据恢复能力",
        "Important data backed up regularly; systems and data can be restored",
    ),
    t(
        "管理后台使用强口令并限制访问来源，管理员账号分级授权",
        "Strong passwords and restricted access for the admin back end; graded admin accounts",
    ),
)
_INTERACTIVE_MEASURES = (
    t(
        "用户注册实行真实身份信息认证（手机号码等），记录并留存用户发布信息的内容和时间",
        "Users register with verified real identity (mobile number etc.); what they publish and "
        "when is recorded and kept",
    ),
    t(
        "对用户发布的信息进行过滤和审核，发现违法信息立即停止传输、保存记录",
        "What users publish is filtered and reviewed; illegal content is stopped at once and "
        "records kept",
    ),
)
_POLICIES = (
    t(
        "网络安全责任制度：明确网站安全负责人和24小时应急联系人",
        "Security responsibility: a named security officer and a 24-hour emergency contact",
    ),
    t(
        "信息发布审核制度：发布前审核，违法信息及时删除并保留记录",
        "Review of what is published: checked before it goes out; illegal content removed and "
        "records kept",
    ),
    t(
        "网络安全事件应急处置和报告制度：发现违法犯罪行为或安全事件24小时内向公安机关报告",
        "Incident response and reporting: crimes or incidents reported to the police within 24 "
        "hours",
    ),
    t("日志留存和数据备份管理制度", "Log retention and backup"),
    t("账号和权限管理制度", "Accounts and access rights"),
)
_UNIT_POLICIES = (t("工作人员网络安全教育和培训制度", "Security education and training of staff"),)
_INTERACTIVE_POLICIES = (
    t(
        "用户注册登记和信息管理制度（电子公告服务用户登记）",
        "User registration and management of what users publish",
    ),
)


def suggested_measures(subject_type: SubjectType | None, interactive: bool) -> list[Text]:
    """Return the technical measures suggested for such a site."""
    return [*_MEASURES, *(_INTERACTIVE_MEASURES if interactive else ())]


def suggested_policies(subject_type: SubjectType | None, interactive: bool) -> list[Text]:
    """Return the management systems suggested for such a site (a unit trains its staff)."""
    unit = subject_type is not SubjectType.INDIVIDUAL
    return [
        *_POLICIES,
        *(_UNIT_POLICIES if unit else ()),
        *(_INTERACTIVE_POLICIES if interactive else ()),
    ]


SUGGESTIONS = {"measures": suggested_measures, "policies": suggested_policies}


def suggestion(name: str, subject_type: str | None, interactive: object) -> list[Text]:
    """Return the suggestion `name` ("measures" or "policies") for raw interview answers."""
    try:
        subject = SubjectType(subject_type) if subject_type else None
    except ValueError:
        subject = None
    return SUGGESTIONS[name](subject, interactive is True)
