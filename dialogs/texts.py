"""What the interview says, in Chinese and English (question texts live in questions.yaml)."""

from __future__ import annotations

from rules.text import t

WELCOME = t(
    "你好！我是备案助手。我会一步一步带你准备公安机关的“网站安全管理备案”：告诉你该到哪个网安部门办理、"
    "最晚哪天之前要办、要带什么材料，并为你填好备案表等文件（PDF）。全程大约需要10–15分钟。\n"
    "请先准备好：营业执照或证书（统一社会信用代码）、负责人和联系人的身份证件、网站的ICP备案号、"
    "服务器的公网IP和接入服务商（如云服务商）的信息。\n"
    "生成的文件是草稿，请核对无误后再打印、签字盖章。随时可以发送：/help 帮助，"
    "/back 返回上一题，/status 查看进度，/cancel 取消，/lang en English。",
    "Hello! I am beian, the filing assistant. I will walk you through the public-security "
    "“website security filing”: which bureau to file with, by when, what to bring — and I fill in "
    "the forms for you (PDF). It takes about 10–15 minutes.\n"
    "Have at hand: the business licence or certificate (unified social credit code), the ID "
    "documents of the people responsible, the site's ICP number, the server's public IP and the "
    "access provider's (e.g. the cloud provider's) details.\n"
    "The documents are drafts: check them before you print, sign and stamp. "
    "Any time: /help, /back (previous question), /status, /cancel, /lang zh 中文.",
)
PROGRESS = t("第{k}/{n}步 · {section}", "Step {k} of {n} · {section}")
COMMANDS = t(
    "可用命令：/back 返回上一题（原答案保留）、/skip 跳过选填项、"
    "/edit 修改某一项（如“/edit 域名”）、/status 进度、/cancel 取消、/restart 重新开始、"
    "/lang 切换语言。也可以直接说“返回”“取消”“帮助”。"
    "备案后：/change 信息变更、/close_site 网站关闭注销、/new 新的网站备案。",
    "Commands: /back (previous question, answer kept), /skip (optional items), /edit an item "
    "(e.g. “/edit domains”), /status, /cancel, /restart, /lang. Once filed: /change to report "
    "a change, /close_site to cancel, /new for another site.",
)
EXAMPLE = t("例如：{example}", "For example: {example}")
CURRENT = t(
    "当前答案：{value}。直接发送新的答案修改，或选择“保留”。",
    "Current answer: {value}. Send a new answer, or choose “keep”.",
)
KEEP = t("保留原答案", "Keep")
SKIP = t("跳过", "Skip")
DONE_ADDING = t("完成", "Done")
COLLECTED = t(
    "已记录：{values}。还有就继续发送，全部填好后选择“完成”。",
    "Noted: {values}. Send more, or choose “Done”.",
)
SELECTED = t(
    "已选：{values}。可以继续选择（再点一次取消），选好后点“完成”。",
    "Selected: {values}. Pick more (tap again to unselect), then “Done”.",
)
NOTHING_SELECTED = t("还没有选择。", "Nothing selected yet.")
LIST_KEPT = t("✔ 已记录：{values}", "✔ Noted: {values}")
INVALID = t("这个答案不对：{reason}", "That answer does not work: {reason}")
TRY_AGAIN = t("请重新输入（{example}）。", "Please try again ({example}).")
NOT_AN_OPTION = t(
    "“{text}”不是这个问题的选项。请回复选项的序号或名称：{options}",
    "“{text}” is not one of the options. Reply with a number or a name: {options}",
)
CHOICE_AGAIN = t("请回复选项的序号或名称。", "Please reply with the option's number or name.")
YES_OR_NO = t("请回答“是”或“否”。", "Please answer “yes” or “no”.")
NOT_OPTIONAL = t("这一项是必填的，不能跳过。", "This one is required; it cannot be skipped.")
NEED_ONE = t("至少要填一项。", "At least one value is needed.")
NOT_COLLECTING = t(
    "“{text}”：这个问题不是列表，请直接回答。", "“{text}”: this question is not a list; answer it."
)
FIRST_QUESTION = t("已经是第一个问题了。", "This is already the first question.")
NOTHING_TO_EDIT = t("还没有可以修改的答案。", "There is nothing to edit yet.")
EDIT_PICK = t("要修改哪一部分？", "Which part do you want to change?")
EDIT_ITEM = t("要修改哪一项？", "Which item?")
EDIT_WHICH = t("“{name}”可能是下面几项，要修改哪一项？", "“{name}” could be one of these. Which?")
EDIT_UNKNOWN = t(
    "没有找到“{name}”。请选择要修改的部分，或发送“/edit 项目名”，如“/edit 域名”。",
    "No item called “{name}”. Choose a part to change, or send “/edit item”, e.g. “/edit domains”.",
)
EDIT_NOT_YET = t(
    "“{name}”还没有回答到，按顺序填写即可。", "“{name}” has not been asked yet; it will come."
)
SECTION = t("修改：{section}", "Change: {section}")
BACK_TO_SUMMARY = t("返回核对页", "Back to the summary")
LIST_MENU = t(
    "{label}目前是：{values}。要怎样修改？",
    "{label} is now: {values}. How do you want to change it?",
)
LIST_ADD = t("添加", "Add")
# A change of a list too long to show whole (the diff, the change notice, the reviewers' card).
LIST_REMOVED = t("删除 {values}", "removed {values}")
LIST_ADDED = t("新增 {values}", "added {values}")
LIST_REORDERED = t("顺序调整", "reordered")
LIST_REMOVE = t("删除其中几项", "Remove some")
LIST_REPLACE = t("全部重新填写", "Replace all")
REMOVE_PICK = t(
    "选择要删除的项（再点一次取消），选好后点“完成”。也可以回复序号，如“1、3”。",
    "Pick what to remove (tap again to unselect), then “Done”. Or reply with numbers, e.g. “1, 3”.",
)
REMOVE_ALL = t("不能全部删除，至少要保留一项。", "At least one must stay.")
CANCEL_ASK = t(
    "确定要取消吗？你填写的资料会保留30天，期间可以随时回来继续；也可以现在就删除。",
    "Cancel? Your answers are kept for 30 days so you can come back; or delete them now.",
)
CANCEL_KEEP = t("取消，资料保留30天", "Cancel, keep my data 30 days")
CANCEL_DELETE = t("取消并删除我的资料", "Cancel and delete my data")
CANCEL_NO = t("不取消，继续填写", "Don't cancel, go on")
CANCELLED = t(
    "已取消。你的资料会保留30天，发送 /start 可以从中断的地方继续。",
    "Cancelled. Your answers are kept for 30 days; send /start to continue where you stopped.",
)
DELETED = t(
    "已取消，你的资料已删除。发送 /start 可以重新开始。",
    "Cancelled and deleted. Send /start to begin again.",
)
GO_ON = t("好的，我们继续。", "Fine, let us go on.")
RESUME_ASK = t(
    "你上次的填写还没有完成（进行到：{where}）。要继续，还是重新开始？",
    "You have an unfinished interview (at: {where}). Continue, or start over?",
)
RESUME = t("继续上次的填写", "Continue")
START_OVER = t("重新开始", "Start over")
RESTART_ASK = t(
    "重新开始会清空已填写的全部内容，确定吗？", "Starting over clears every answer. Sure?"
)
RESTART_YES = t("确定，重新开始", "Yes, start over")
RESTART_NO = t("不，继续当前填写", "No, go on")
STALE = t("这个问题已经回答过了。", "This question was already answered.")
SWITCHED = t("已切换为中文。", "Switched to English.")
OUT_OF_SCOPE_AGAIN = t(
    "按你的回答，本市不受理这次备案。如果填错了，发送 /back 修改，或 /restart 重新开始。",
    "From your answers this city does not accept the filing. If that is wrong, send /back or "
    "/restart.",
)
ROUTE_HEAD = t("【备案地点】", "[Where to file]")
ROUTE_OUT = t("【不属于本市受理范围】", "[Not this city's case]")
DEADLINE_HEAD = t("【备案期限】", "[Filing deadline]")
DEADLINE_LEFT = t(
    "网站于{start}开通，须在{due}（{weekday}）前办理备案手续（提交备案申请），还剩{days}天。",
    "Online since {start}: file by {due} ({weekday}), {days} days left.",
)
DEADLINE_TODAY = t(
    "网站于{start}开通，今天（{due}）是办理备案手续的最后一天，请今天提交备案申请。",
    "Online since {start}: today ({due}) is the last day to file. Submit today.",
)
OVERDUE = t(
    "⚠️ 已超过备案期限{days}天（截止日为{due}）。依据{basis}：{penalty}\n"
    "现在该做的：尽快办理备案手续（提交备案申请），仍然可以办理；主动补办并如实说明开通时间。我们继续填写。",
    "⚠️ The filing deadline passed {days} days ago (it was {due}). Under {basis}: {penalty}\n"
    "What to do now: file as soon as possible — it is still accepted; say truthfully when the "
    "site went online. Let us go on.",
)
NOT_ONLINE_YET = t(
    "网站开通（联网）之日起{days}日内须办理备案手续（提交备案申请）。现在就可以准备材料，开通后请在期限内提交。",
    "You must file within {days} days of going online. Prepare now and submit in time.",
)
PLANNED_DEADLINE = t(
    "网站开通（联网）之日起{days}日内须办理备案。按计划上线日{planned}计算，须在{due}前办理；"
    "实际上线日不同的，以实际日期为准。",
    "You must file within {days} days of going online. If the site goes online on {planned} "
    "as planned, file by {due}; if it goes online another day, that day counts.",
)
FUTURE_DATE = t(
    "{date}还没到。网站是计划在这一天上线吗？",
    "{date} has not come yet. Is that the planned go-live?",
)
PLANNED_YES = t("是，这是计划上线日期", "Yes, that is the plan")
PLANNED_NO = t("不是，重新填写", "No, let me correct it")
OTHER_ID = t("用其他证件", "Another document")
ID_TYPE_SET = t("已改为{type}。请输入证件号码。", "Changed to {type}. Enter its number.")
SUMMARY_HEAD = t("请核对你的全部信息：", "Please check everything:")
SUMMARY_ASK = t(
    "信息无误请选择“确认提交”；要修改请点对应部分，或发送“/edit 项目名”。",
    "If all is right choose “Confirm”; to change something choose its part, or send “/edit item”.",
)
SUMMARY_STATUS = t(
    "你在核对页：信息无误请选择“确认提交”，要修改请选择对应部分。",
    "You are at the summary: choose “Confirm” if all is right, or a part to change.",
)
CONFIRM = t("确认提交", "Confirm")
EDIT = t("修改", "Edit")
SUMMARY_PROBLEMS = t("还有需要修正的地方：", "Some answers need fixing:")
CONTRADICTION = t("这些回答互相矛盾，请先修正：", "These answers contradict each other:")
SUBMITTED = t(
    "✅ 已确认，文件已准备好：备案表（一式两份）、安全责任告知书、复审材料清单、办理指引。"
    "注意：还没有向任何网安部门提交——请按下面的步骤在备案系统中提交备案申请。"
    "文件是预填稿，请逐项核对后再使用。",
    "✅ Confirmed: your documents are ready — the filing form (two copies), the security "
    "responsibility notice, the materials checklist and the guide. Nothing has been submitted "
    "to any bureau yet: submit the application in the filing system as the steps below say. "
    "The documents are pre-filled drafts: check every item before you use them.",
)
AMENDING = t(
    "重新打开这份备案的信息：按退回的原因修改有关项目（点各部分的“修改”），然后确认，就会生成新的文件。",
    "This filing's details are open again: change what the return names (each section's "
    "“change”), then confirm for new documents.",
)
NOTHING_TO_AMEND = t(
    "这份填写还没有确认，直接修改即可（/edit）。",
    "This interview is not confirmed yet: just /edit.",
)
AMENDED = t(
    "✅ 已按修改生成新的文件。请在备案系统中同样修改后重新提交，然后点“整改后重新提交”。",
    "✅ New documents with your changes are on their way. Make the same changes in the filing "
    "system and resubmit there, then press “resubmitted”.",
)
NEXT_STEPS = t("【接下来】", "[Next steps]")
REMEMBER = t(
    "请记住这些期限。提交备案申请后，初审、送材料和复审的日期从提交之日、初审合格之日和送达材料之日起算；"
    "备案完成后信息有变更时，请在期限内报告（发送 /change）。",
    "Keep these dates. Once you submit the application, the review, materials and re-review "
    "dates count from the day of submission, of passing initial review and of handing in the "
    "materials; when anything changes after certification, report it in time (send /change).",
)
ALREADY_DONE = t(
    "这次备案已经提交，文件已生成。发送 /status 查看备案，/new 为另一个网站备案。",
    "This filing is submitted and its documents were made. Send /status to see it, /new to "
    "file another site.",
)
STATUS = t(
    "进度：第{k}/{n}步（{stage}），已填写{answered}项。",
    "Progress: step {k} of {n} ({stage}), {answered} answers.",
)
STATUS_DEADLINE = t("备案截止：{due}，还剩{days}天。", "Filing deadline: {due}, {days} days left.")
STATUS_OVERDUE = t(
    "备案已逾期{days}天（截止{due}）。", "Filing overdue by {days} days (was {due})."
)
CHOSEN = t("✔ {label}", "✔ {label}")
THIS_CITY = t("{city}就是本市，已改为“{label}”。", "{city} is this city: changed to “{label}”.")
NONE_VALUE = t("（未填）", "(none)")
NO_ITEMS = t("无", "none")
YES_WORD = t("是", "yes")
NO_WORD = t("否", "no")
SAME_AS = t("同{who}（{name}）", "same as the {who} ({name})")
SELF = t("本人（{name}）", "yourself ({name})")
PLEASE_ANSWER = t("请先回答这个问题：", "Please answer the question first:")
BROKEN_TEXT = t(
    "这条消息里有无法识别的字符（可能在复制时损坏），没有记录。请重新输入。",
    "That message has characters that cannot be read (perhaps damaged when copied); it was not "
    "recorded. Please type it again.",
)
EDITS_NOT_READ = t(
    "修改过的消息不会被读取。如需更改答案，请直接发送新的答案，或发送 /edit 修改某一项。",
    "Edited messages are not read. To change an answer, send the new answer, or /edit an item.",
)
EDIT_OFFER = t(
    "你修改了上一条回答（{label}）。要改用新的内容“{text}”吗？",
    "You edited your last answer ({label}). Use the new text “{text}” instead?",
)
USE_EDIT = t("用新内容", "Use the new text")
IGNORE_EDIT = t("不用，保持原答案", "No, keep my answer")
UNDRAWABLE = t(
    "⚠️ 这些字符在PDF文件里无法显示（会是空白）：{chars}。公安机关的系统一般也不接受，"
    "建议发送 /edit 改掉。",
    "⚠️ These characters cannot be printed in the PDFs (they would be blank): {chars}. The "
    "bureau's system usually refuses them too; consider /edit to change them.",
)

# --- a change of a certified filing (/change) -------------------------------------------------
CHANGING = t(
    "信息变更：这份备案的信息已重新打开。请修改变化了的项目"
    "（可以改多项：点各部分，或发送“/edit 项目”），改好后点“确认提交”。不变更了请发送 /cancel。",
    "Reporting a change: this filing's details are open again. Change what changed (several "
    "items if need be: pick a section, or send “/edit item”), then press “Confirm”. To give "
    "up, send /cancel.",
)
NOTHING_CHANGED = t(
    "还没有修改任何信息。请先修改变化了的项目；不变更了请发送 /cancel。",
    "Nothing has been changed yet. Change what changed first; to give up, send /cancel.",
)
CHANGE_DIFF = t("变更内容（原 → 新）：", "What changes (old → new):")
CHANGE_REASON_ASK = t(
    "请回复变更原因（或点下面的常见原因）。变更日期默认今天（{today}）；"
    "不是今天的，请在原因前写日期，如：2026-11-28 更换服务器。",
    "Reply with the reason for the change (or pick a common one below). The change date is "
    "today ({today}) unless you put a date first, e.g. 2026-11-28 new server.",
)
CHANGE_CONFIRM_ASK = t(
    "变更日期：{on}\n变更原因：{reason}\n须在{due}前向网安部门报告。"
    "确认后会生成变更情况书面说明和新的备案表，并通知审核人员。",
    "Changed on: {on}\nReason: {reason}\nTo be reported to the bureau by {due}. On "
    "confirming, the change report and a new filing form are made and the reviewers are told.",
)
CHANGE_OK = t("确认报告变更", "Report the change")
CHANGE_MORE = t("继续修改", "Change more")
CHANGE_DROP = t("放弃变更", "Give up the change")
CHANGE_IN_FUTURE = t(
    "变更日期不能在将来：请写已经发生的变更（日期可以不写，默认今天）。",
    "The change date cannot be in the future: report a change that happened (no date: today).",
)
CHANGE_REASON_EMPTY = t(
    "请写明变更原因（500字以内），如：更换服务器。",
    "Give the reason for the change (up to 500 characters), e.g. new server.",
)
CHANGE_RECORDED = t("✅ 变更已记录，正在生成文件…", "✅ Change recorded; making the documents…")
CHANGE_DROPPED = t(
    "已放弃，备案信息保持不变。发送 /status 查看备案。",
    "Given up: the filing's details stay as they were. Send /status to see the filing.",
)
YOUR_FILINGS = t(
    "你的备案如下。要为另一个网站备案，请发送 /new。",
    "Your filings are below. To file another site, send /new.",
)
CHANGE_SUBJECT_TYPE = t(
    "开办主体类型不能通过变更修改：请注销这份备案（/close_site），再为新的主体重新备案（/new）。",
    "The subject type cannot be changed by a change report: cancel this filing (/close_site) "
    "and file again for the new subject (/new).",
)
CHANGE_DATE_ONLY = t(
    "请在日期后面写上变更原因，如：2026-11-28 更换服务器。",
    "Put the reason after the date, e.g. 2026-11-28 new server.",
)
