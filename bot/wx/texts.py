"""What the WeChat channel says besides the interview (the interview's texts are its own).

WeChat shows no buttons under a message: choices are numbered lines to type, and the
account's menu (自定义菜单) holds 进度 (/status), 文件 (/documents), 变更 (/change) and 帮助.
"""

from __future__ import annotations

from rules.text import t

SORRY = t(
    "抱歉，处理你的消息时出了问题，你已填写的内容没有丢失。请稍后再发一次，或点菜单「进度」查看。",
    "Sorry, something went wrong with your message; nothing you entered is lost. Please send "
    "it again in a moment, or tap the first item of the menu (Status).",
)
DOCUMENTS = t(
    "你的备案文件（PDF，点链接下载，{hours}小时内有效；过期后点菜单「文件」重新获取）：",
    "Your filing documents (PDF; tap a link to download, valid for {hours} hours; after that "
    "tap the second item of the menu (Files) for new links):",
)
NO_FILING = t(
    "你还没有备案。直接回复消息开始填写。",
    "You have no filing yet. Reply to start the interview.",
)
NEW_FILING = t(
    "新的网站备案：发送 /new 开始新的填写。", "A new site to file: send /new for a new interview."
)
CLOSE_SITE = t(
    "在微信里暂不能注销备案。请联系审核民警，或在 Telegram 中发送 /close_site。",
    "A filing cannot be cancelled on WeChat yet. Ask the reviewing officer, or send "
    "/close_site on Telegram.",
)
# The menu (自定义菜单): 3 first-level items at most, each name at most 16 bytes (5 Chinese
# characters); 变更 and 帮助 sit under 更多.
MENU_LABELS = {
    "status": t("进度", "Status"),
    "documents": t("文件", "Files"),
    "more": t("更多", "More"),
    "change": t("变更", "Change"),
    "help": t("帮助", "Help"),
}
REMINDER_TITLE = t("备案提醒", "Filing reminder")
