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
