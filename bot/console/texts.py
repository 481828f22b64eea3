"""The desk's words: its buttons and the sentences its handlers say (templates say the rest
with `tr(zh, en)`, as the documents' templates do)."""

from __future__ import annotations

from rules.enums import SubjectType
from rules.filing_life import EVENT_LABELS
from rules.lifecycle import FilingEvent as E
from rules.text import Text, button, t

SIGN_IN = button("登录审核台", "Sign in to the desk")
SIGN_OUT = button("退出登录", "Sign out")
REVEAL = button("显示", "Show")
FILTER = button("筛选", "Filter")
EXPORT = button("导出CSV", "Export CSV")
CHANGE_ACCEPT = button("变更审核通过", "Accept the change")
CHANGE_RETURN = button("退回变更", "Return the change")
CERTIFY = EVENT_LABELS[E.CERTIFY]

LINK_REFUSED = t(
    "登录链接无效、已使用或已过期（有效15分钟，只能用一次）。请在机器人中发送 /console，"
    "或请管理员运行 beian reviewers login-link 获取新链接。",
    "This sign-in link is not valid, already used or expired (15 minutes, once). Send /console "
    "to the bot, or ask the operator to run beian reviewers login-link, for a new one.",
)
SIGNED_OUT = t("已退出登录。", "Signed out.")
NOT_SIGNED_IN = t(
    "请先登录：在机器人中发送 /console 获取一次性登录链接"
    "（或请管理员运行 beian reviewers login-link）。",
    "Sign in first: send /console to the bot for a one-time link (or ask the operator to run "
    "beian reviewers login-link).",
)
RECORDED = t("✔ 已记录：{label}。", "✔ Recorded: {label}.")
# Who the recorded decision's notices go to, as written (`actions._told`).
TOLD = t("会收到通知：{who}。", "Told: {who}.")
TOLD_APPLICANT = t("申请人", "the applicant")
TOLD_GROUP = t("审核群", "the review chat")
TOLD_REVIEWERS = t("审核人员", "the reviewers")
NOT_TOLD_APPLICANT = t(
    "申请人不会收到这次的通知（没有可以发给申请人的聊天）。",
    "The applicant is not told of this (there is no chat to tell them in).",
)
STALE_PAGE = t(
    "没有记录：这个页面是旧的，这份备案在你打开页面后有过修改。",
    "Nothing was recorded: this page was out of date, the filing changed after you opened it.",
)
MOVED = t(
    "这份备案在你打开页面后有了变化，下面是现在的状态。",
    "This filing changed since you opened it; it is shown as it is now.",
)
BAD_DATE = t("日期格式不对（应为 YYYY-MM-DD）。", "The date is not a date (YYYY-MM-DD).")
NO_REASON = t("请勾选或填写退回原因。", "Tick or write the reasons for the return.")
UNKNOWN_ACTION = t("这个操作不存在。", "No such action.")
BOT_NOT_REVIEWER = t(
    "你不是审核人员，不能登录审核台。", "You are not a reviewer: the desk is for reviewers only."
)
BOT_LINK = t(
    "审核台登录链接（15分钟内有效，只能用一次，请勿转发）：\n{url}",
    "Your sign-in link to the desk (valid 15 minutes, once; do not forward it):\n{url}",
)
SUBJECTS: dict[str, Text] = {
    SubjectType.GOVERNMENT: t("政府机关、事业单位", "government / public institution"),
    SubjectType.ENTERPRISE: t("企业", "enterprise"),
    SubjectType.INDIVIDUAL: t("个人", "individual"),
    SubjectType.SOCIAL_ORG: t("社会团体", "social organisation"),
    SubjectType.OTHER: t("其他", "other"),
}
DUE_LABELS: dict[str, Text] = {
    "filing": t("提交期限", "submit by"),
    "initial_review": t("初审期限", "initial review due"),
    "materials": t("送材料期限", "materials due"),
    "re_review": t("复审期限", "re-review due"),
}
OUTCOME_LABELS: dict[str, Text] = {
    "initial_review_passed": t("初审通过", "initial review passed"),
    "returned": t("退回整改", "returned"),
    "materials_received": t("收到材料", "materials received"),
    "certified": t("复审通过", "certified"),
}
# A sealed value that does not open (issue 26): said in both languages, the log names it.
UNOPENED = (
    "这份资料无法解密：数据库中的加密内容已被改动，或不是用本机的数据密钥加密的（详见日志）。\n"
    "A sealed value could not be opened: it was altered, or sealed under a key this desk does "
    "not hold (see the log).\n"
)
