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
    "要注销（网站已关闭）：点那份备案下面的「{label}」。",
    "To cancel a filing (the site is closed): tap “{label}” under it.",
)
NOTHING_TO_CLOSE = t("你没有可以注销的备案。", "You have no filing that can be cancelled.")
# What a filing's link (or its typed reference, F<filing>.<version>.<code>) is answered with.
DONE = t("✔ {label}", "✔ {label}")
NOT_NOW = t("这一步现在不能办理。", "This cannot be done now.")
UNKNOWN_ACTION = t(
    "没有看懂这个操作。点菜单「进度」查看这份备案现在可以办理的事项。",
    "Could not read that action. Tap the first item of the menu (Status) for what can be done "
    "with the filing now.",
)
MATERIALS_NOTED = t(
    "已记录，不再提醒送材料；网安部门收到后会确认。",
    "Recorded: no more reminders; the bureau confirms the receipt.",
)
# What must be typed after the reference (WeChat has no reply prompt): {ref} is it.
ASK_ONLINE = t(
    "请发送：{ref} 网站开通（上线）日期，如：{ref} 2026-11-28；今天开通请发送：{ref} 今天",
    "Send: {ref} the day the site went online, e.g. {ref} 2026-11-28, or {ref} today",
)
ASK_CERTIFICATE = t(
    "请发送：{ref} 公安备案号 备案证编号（用空格分开），"
    "如：{ref} 京公网安备11010502030143号 SL-2026-001",
    "Send: {ref} the filing number and the certificate number, separated by a space, e.g. "
    "{ref} 京公网安备11010502030143号 SL-2026-001",
)
ASK_RETURN = t(
    "请发送：{ref} 退回整改的原因（网安部门所说），如：{ref} 网站首页未放置备案号",
    "Send: {ref} the reasons for the return (as the bureau gave them), e.g. {ref} no filing "
    "number on the home page",
)
RETURN_TOO_LONG = t(
    "退回原因最多{limit}字（这次是{length}字），还没有记录。请精简后再发送。",
    "A return's reasons take at most {limit} characters (these have {length}); nothing was "
    "recorded. Please shorten them and send again.",
)
ASK_CANCEL = t(
    "注销（网站关闭）后这份备案只保留记录，不再提醒，并会生成注销情况书面说明。确定注销请发送："
    "{ref} 注销原因，如：{ref} 网站已关闭；注销日期默认今天，不是今天的请写在原因前，"
    "如：{ref} 昨天 网站已关闭。",
    "After cancelling (the site closed), the filing is kept for the record only, with no more "
    "reminders, and a written cancellation statement is made. To cancel, send: {ref} the "
    "reason, e.g. {ref} site closed; the date is today unless you put one first, e.g. {ref} "
    "yesterday site closed.",
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
ONLY_A_DATE = t(
    "链接代码后面只能写发生的日期（如“F1.1.submit 2026-11-10”），不写就是今天。"
    "没有记录，请重新发送。",
    "After the link's code only the day it happened may follow (e.g. “F1.1.submit "
    "2026-11-10”); none means today. Nothing was recorded: send it again.",
)
