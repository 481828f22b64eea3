"""Telegram presentation: keyboards from choices, texts cut to Telegram's limits, captions,
languages.

Telegram counts a text's length in UTF-16 code units (𠮷 and emoji count two): a message holds
1–4,096, a caption 1,024, the answer to a button press 200, a button's data 64 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import lru_cache
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from dialogs.model import Choice, Reply
from rules.text import Lang, t

TEXT_LIMIT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH
CAPTION_LIMIT = 1024  # MessageLimit.CAPTION_LENGTH
ANSWER_LIMIT = 200  # CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH
CALLBACK_LIMIT = 64  # bytes
BUTTON_SHOWN = 60  # a button's label is cut here: a phone shows less, and keyboards have a size
_SEP = "|"
ELLIPSIS = "…"


def telegram_length(text: str) -> int:
    """Count `text` as Telegram does: in UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def fits(text: str, limit: int = TEXT_LIMIT) -> bool:
    """Say whether Telegram takes `text` whole under `limit`."""
    return len(text) * 2 <= limit or telegram_length(text) <= limit


def _prefix(text: str, limit: int) -> int:
    """Return how many characters of `text` make at most `limit` UTF-16 code units."""
    if fits(text, limit):
        return len(text)
    units = 0
    for i, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def clip(text: str, limit: int) -> str:
    """Return `text` cut to `limit` UTF-16 code units with "…" (at a line's end when one is in
    the second half): for what cannot be split — an edit, a caption, an alert."""
    if fits(text, limit):
        return text
    head = text[: _prefix(text, limit - 1)]
    newline = head.rfind("\n")
    if newline >= len(head) // 2:
        head = head[:newline]
    return head.rstrip() + ELLIPSIS


def language_of(code: str | None) -> Lang:
    """Pick the interview language from Telegram's language_code (Chinese when unknown)."""
    if not code or code.lower().startswith("zh"):
        return "zh"
    return "en"


def button_key(token: str) -> bytes:
    """Return the key buttons are signed with (from the bot's token: every instance shares it)."""
    return hashlib.sha256(b"beian buttons\0" + token.encode()).digest()


def _signature(key: bytes, chat_id: int, asking: str) -> str:
    # BLAKE2b in keyed mode is a MAC in one C call (hmac.new costs ~4× as much per button set).
    digest = hashlib.blake2b(f"{chat_id}|{asking}".encode(), key=key[:64], digest_size=9)
    return base64.urlsafe_b64encode(digest.digest()).decode()  # 12 characters, 72 bits


def callback_data(asking: str, choice: str, chat_id: int, key: bytes) -> str:
    """Encode a button: the asking it answers, the choice id, and a signature binding both to
    the chat it is sent to (ASCII ids, never labels)."""
    data = f"{asking}{_SEP}{choice}{_SEP}{_signature(key, chat_id, asking)}"
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
    return data


def parse_callback(data: str | None, chat_id: int, key: bytes) -> tuple[str, str] | None:
    """Decode a button pressed in `chat_id`; None for data this bot did not make for that chat."""
    parts = (data or "").split(_SEP)
    if len(parts) != 3:
        return None
    asking, choice, signature = parts
    if not hmac.compare_digest(signature, _signature(key, chat_id, asking)):
        return None
    return asking, choice


class Keyboard(InlineKeyboardMarkup):
    """An inline keyboard whose serialized form is given, not rebuilt from button objects.

    PTB turns a markup into a dict on every send; a question's buttons differ from chat to
    chat only in their signatures, so the layout is built once per set of choices and each
    message gets its signed dict (building button objects per message was a sixth of a step).
    """

    __slots__ = ("_as_dict",)
    _as_dict: dict[str, Any]

    def __init__(self, rows: list[list[InlineKeyboardButton]]) -> None:
        super().__init__(rows)
        object.__setattr__(self, "_as_dict", super().to_dict())  # the object is frozen

    def with_dict(self, as_dict: dict[str, Any]) -> Keyboard:
        """Return this keyboard serializing as `as_dict` (same layout, other callback data)."""
        signed = object.__new__(Keyboard)
        for name in ("inline_keyboard", "_id_attrs", "_bot", "api_kwargs", "_frozen"):
            object.__setattr__(signed, name, getattr(self, name))
        object.__setattr__(signed, "_as_dict", as_dict)
        return signed

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        """Return the serialized keyboard (callers only read it)."""
        return self._as_dict


def keyboard(reply: Reply, chat_id: int, key: bytes) -> InlineKeyboardMarkup | None:
    """Lay the reply's choices out as buttons (two per row when the labels are short), each
    signed for this chat and this asking."""
    if not reply.choices or reply.question is None:
        return None
    template, layout = _layout(reply.choices)
    head = f"{reply.question}{_SEP}"
    tail = f"{_SEP}{_signature(key, chat_id, reply.question)}"
    rows = [
        [{"text": label, "callback_data": f"{head}{choice}{tail}"} for label, choice in row]
        for row in layout
    ]
    for row in rows:
        for button in row:
            if len(button["callback_data"].encode()) > CALLBACK_LIMIT:
                raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {button!r}")
    return template.with_dict({"inline_keyboard": rows})


TICK = "✅ "  # a chosen option of a multi-select
NUMBERED_FROM = 3  # numbered choices are shown with their numbers from this many on


def button_label(choice: Choice, numbered: bool) -> str:
    """Return a button's text: with its number where the texts say one may reply with it."""
    if not numbered or choice.number is None:
        return choice.label
    if choice.label.startswith(TICK):
        return f"{TICK}{choice.number}. {choice.label[len(TICK) :]}"
    return f"{choice.number}. {choice.label}"


@lru_cache(maxsize=1024)
def _layout(choices: tuple[Choice, ...]) -> tuple[Keyboard, list[list[tuple[str, str]]]]:
    numbered = sum(1 for c in choices if c.number is not None) >= NUMBERED_FROM
    labels = [clip(button_label(c, numbered), BUTTON_SHOWN) for c in choices]
    per_row = 1 if any(len(label) > 8 for label in labels) else 2
    pairs = [(label, c.id) for label, c in zip(labels, choices, strict=True)]
    layout = [pairs[i : i + per_row] for i in range(0, len(pairs), per_row)]
    buttons = [
        [InlineKeyboardButton(label, callback_data=cid) for label, cid in row] for row in layout
    ]
    return Keyboard(buttons), layout


def merge_replies(replies: list[Reply]) -> list[tuple[str, Reply | None]]:
    """Join replies into messages: plain texts ride along with the next question's message.

    Each message is (text, the reply whose choices it carries). Fewer messages mean fewer Bot
    API calls — the rate limiter allows about 30 a second for the whole bot.
    """
    messages: list[tuple[str, Reply | None]] = []
    pending: list[str] = []
    for reply in replies:
        pending.append(reply.text)
        if reply.choices:
            messages.append(("\n\n".join(pending), reply))
            pending = []
    if pending:
        messages.append(("\n\n".join(pending), None))
    return messages


_NUMBER = re.compile(r"^(✅ )?\d+\. ")


def label_of(markup: InlineKeyboardMarkup | None, data: str) -> str | None:
    """Return the label of the button carrying `data` in a sent keyboard (without its number)."""
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return _NUMBER.sub(r"\1", button.text)
    return None


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a text into messages Telegram takes (at most `limit` UTF-16 code units each, none
    blank): at line boundaries; a line longer than a message at its last separator (、，, or a
    space) that fits, else where the limit falls."""
    if fits(text, limit):
        return [text] if text.strip() else []
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _pieces(line, limit):
            candidate = f"{current}\n{piece}" if current else piece
            if fits(candidate, limit):
                current = candidate
                continue
            chunks.append(current)
            current = piece
    chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]


_BREAKS = ("、", "，", "；", "。", ", ", "; ", " ")


def _pieces(line: str, limit: int) -> list[str]:
    """Cut a line into pieces of at most `limit` UTF-16 code units, after a separator when
    there is one in the second half of the piece."""
    pieces = []
    while not fits(line, limit):
        head = line[: _prefix(line, limit)]
        cut = max(head.rfind(b) + len(b) for b in _BREAKS)
        at = cut if cut > len(head) // 2 else len(head)
        pieces.append(line[:at])
        line = line[at:]
    pieces.append(line)
    return pieces


SORRY = t(
    "抱歉，处理你的消息时出了问题，你已填写的内容没有丢失。"
    "请稍后再发一次，或发送 /status 查看进度。",
    "Sorry, something went wrong with your message; nothing you entered is lost. Please send "
    "it again in a moment, or send /status.",
)
GROUP_ONLY_PRIVATE = t(
    "为保护你的资料，备案填写只在私聊中进行。请点这里和我私聊：{link}",
    "To protect your data, filings are made in a private chat only. Talk to me here: {link}",
)
STALE_ALERT = t("这个问题已经回答过了。", "This question was already answered.")
DEAD_BUTTON = t("这个按钮已失效。", "This button no longer works.")


def commands(lang: Lang) -> list[BotCommand]:
    """Return the command menu in `lang`."""
    items = {
        "start": t("开始或继续备案填写", "Start or continue"),
        "back": t("返回上一题", "Previous question"),
        "edit": t("修改某一项", "Change an answer"),
        "skip": t("跳过选填项", "Skip an optional item"),
        "status": t("查看进度和期限", "Progress and deadline"),
        "documents": t("重新发送文件", "Send the documents again"),
        "new": t("新的网站备案", "A new site to file"),
        "change": t("备案信息变更（已备案后）", "Report a change (once certified)"),
        "close_site": t("网站关闭，注销备案", "Site closed: cancel the filing"),
        "help": t("帮助", "Help"),
        "cancel": t("取消（资料保留30天）", "Cancel (data kept 30 days)"),
        "restart": t("重新开始", "Start over"),
        "lang": t("切换语言 / Language", "Language / 切换语言"),
    }
    return [BotCommand(name, text.get(lang)) for name, text in items.items()]
