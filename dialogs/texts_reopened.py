"""The words of an interview reopened after its confirmation (a change, an amendment), and of
注销 where the channel names it: apart from `dialogs.texts` so that each stays readable."""

from __future__ import annotations

from rules.text import Text, t

# How the commands' list and the subject type's refusal name 注销: a command in a chat, the
# operator's command in a terminal (which has no /close_site: `bot.terminal`).
CLOSE_IN_CHAT = t("/close_site 网站关闭注销", "/close_site to cancel")
CLOSE_IN_TERMINAL = t(
    "注销用 beian filings cancel 备案编号 --reason 原因",
    "beian filings cancel ID --reason R to cancel",
)
CLOSE_NAMED_IN_CHAT = t("/close_site", "/close_site")
CLOSE_NAMED_IN_TERMINAL = t(
    "beian filings cancel 备案编号 --reason 原因", "beian filings cancel ID --reason R"
)

REOPENED_KEPT = t(
    "变更还没有报告，已做的修改都还在。请继续，或发送 /cancel 放弃变更。",
    "The change is not reported yet; your edits so far are kept. Go on, or send /cancel to give "
    "up the change.",
)

REOPENED_KEPT_AMEND = t(
    "修改还没有确认，已做的修改都还在。请继续，或发送 /cancel 放弃修改。",
    "The amendment is not confirmed yet; your edits so far are kept. Go on, or send /cancel to "
    "give it up.",
)

OUT_OF_SCOPE_CHANGING = t(
    "按修改后的回答，网站系统维护和服务器都已不在本市：这不能作为变更报告。"
    "本市这份备案应注销（{close}），再到维护地办理备案。填错了的，发送 /back 修改；"
    "发送 /cancel 放弃这次修改。",
    "With these answers neither the maintenance nor the server is in this city any more: that "
    "is not a change to report. This city's filing is to be cancelled ({close}), and the site "
    "filed where it is maintained. If that is wrong, send /back; /cancel gives up the edits.",
)


def close_named(close_site: bool) -> Text:
    """注销 as a sentence names it: the chat's command, or the operator's in a terminal."""
    return CLOSE_NAMED_IN_CHAT if close_site else CLOSE_NAMED_IN_TERMINAL


def close_listed(close_site: bool) -> Text:
    """注销 as the commands' list names it."""
    return CLOSE_IN_CHAT if close_site else CLOSE_IN_TERMINAL


def amending(returned: bool | None, *, buttons: bool) -> Text:
    """What /amend says as it reopens a filing's answers: returned (fix what the return's
    reasons name), never submitted, or — the channel did not say — both; the sections'
    “修改” buttons named only where there are buttons."""
    how = t("（点各部分的“修改”）", " (each section's “change”)") if buttons else t("", "")
    then = t(
        "，然后确认，就会生成新的文件，旧的作废。",
        ", then confirm for new documents that replace the old ones.",
    )
    if returned:
        head = t(
            "重新打开这份被退回的备案的信息：按退回的原因修改有关项目",
            "This returned filing's details are open again: fix what the return's reasons name",
        )
    elif returned is False:
        head = t(
            "重新打开这份备案的信息（还没有向网安部门提交）：修改有关项目",
            "This filing's details are open again (not submitted to a bureau yet): change what "
            "needs fixing",
        )
    else:
        head = t(
            "重新打开这份备案的信息：修改有关项目（被退回的，按退回的原因修改）",
            "This filing's details are open again: change what needs fixing (for a return, what "
            "its reasons name)",
        )
    return Text(zh=head.zh + how.zh + then.zh, en=head.en + how.en + then.en)


AMENDED = t(  # the interview's own words; the channel says the one for the filing's status
    "✅ 已按修改生成新的文件，旧的作废。被退回的，请在备案系统中同样修改后重新提交；"
    "还没有提交的，请按新文件在备案系统提交备案申请。",
    "✅ New documents with your changes are on their way; they replace the old ones. If it was "
    "returned, make the same changes in the filing system and resubmit there; if it was not "
    "submitted yet, submit it there as the new documents say.",
)
AMENDED_RETURNED = t(
    "✅ 已按修改生成新的文件，旧的作废。请在备案系统中同样修改后重新提交。",
    "✅ New documents with your changes are on their way; they replace the old ones. Make the "
    "same changes in the filing system and resubmit there.",
)
AMENDED_UNSUBMITTED = t(
    "✅ 已按修改生成新的文件，旧的作废。还没有向任何网安部门提交："
    "请按新文件在备案系统提交备案申请。",
    "✅ New documents with your changes are on their way; they replace the old ones. Nothing "
    "has been submitted to any bureau yet: submit the application in the filing system as the "
    "new documents say.",
)
# A routing answer changed during /change: the new route's bureaus, not a new site's order
# (「先到上海备案，再到示例市备案」 was false for a site certified here).
ROUTE_AFTER_CHANGE = t(
    "【备案地点】变更后，网站归以下网安部门管辖：\n{bureaus}\n"
    "确认这次变更后，会逐一说明要向哪个网安部门报告变更、在哪里注销或新办理备案。",
    "[Where to file] After the change, the site is in the area of:\n{bureaus}\n"
    "Once you confirm the change, you are told bureau by bureau what to report, where to "
    "cancel and where to file anew.",
)
