"""Free text: names of people, units and places, addresses — trimmed and plausible."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from rules.checking import FieldResult, _empty, _refusing_hidden, bad, ok


@_refusing_hidden
def check_plain_text(text: str, max_length: int | None = None) -> FieldResult:
    """Trim and fold runs of white space; refuse empty text, control characters, overlength."""
    cleaned = re.sub(r"\s+", " ", text).strip()
    if not cleaned:
        return _empty()
    if max_length is not None and len(cleaned) > max_length:
        return bad(
            f"太长了（{len(cleaned)}字），最多{max_length}字。",
            f"Too long ({len(cleaned)} characters); at most {max_length}.",
        )
    return ok(cleaned)


_ANY_DAY = dt.date(2026, 1, 1)  # a name that reads as a date on some day is not a name
_YES_NO_NONE = {
    "是", "否", "是的", "不是", "对", "不对", "有", "无", "没有", "不", "不知道", "好", "好的",
    "yes", "no", "none", "ok", "n/a", "na", "null",
    # what a person types meaning to go on, not a name (a button's word typed)
    "确认", "确定", "完成", "下一步", "继续", "跳过", "提交", "取消", "返回", "同上", "暂无",
    "不清楚", "不确定", "未知", "confirm", "done", "next", "continue", "skip", "submit",
    "cancel", "back", "unknown",
}  # fmt: skip
_PERSON_CJK = re.compile(
    r"[\u3400-\u9fff\U00020000-\U0003134f]{1,20}(?:[·•．.][\u3400-\u9fff]{1,20})*"
)
# Latin letters of every language that writes with them (Latin-1, Extended-A/B and Additional:
# María José, Nguyễn Văn An, Łukasz), combining accents included.
_LATIN_LETTER = "A-Za-zÀ-ÖØ-öø-ɏḀ-ỿ"
_PERSON_LATIN = re.compile(f"[{_LATIN_LETTER}][{_LATIN_LETTER}\u0300-\u036f'’\\-. ]{{0,59}}")


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@_refusing_hidden
def check_person_name(text: str) -> FieldResult:
    """Check a person's name: Chinese characters (with · for multi-part names), or Latin
    letters for a foreign name; never digits, a yes/no or a date."""
    name = _words(text)
    if not name:
        return _empty()
    if name.lower() in _YES_NO_NONE or re.search(r"\d", name) or "@" in name:
        return bad(
            "这不像是姓名。请填写证件上的姓名，如“张三”；外籍人员填写护照上的英文姓名。",
            "That does not look like a name. Enter the name on the ID, e.g. 张三, or the "
            "name in the passport.",
        )
    compact = name.replace(" ", "")
    if _PERSON_CJK.fullmatch(compact) and len(compact) >= 2:
        return ok(compact)
    latin = unicodedata.normalize("NFKC", name)  # Ｌｉｎ Ｙｕｎｆａｎ typed full-width: Lin Yunfan
    if _PERSON_LATIN.fullmatch(latin) and len(latin) >= 2:
        return ok(latin)
    return bad(
        "姓名只能包含汉字（少数民族或外国人名可用“·”分隔），或证件上的英文字母。",
        "A name holds Chinese characters (parts separated by ·), or the letters in the passport.",
    )


@_refusing_hidden
def check_unit_name(text: str, max_length: int = 200) -> FieldResult:
    """Check a unit's (or a site's, a provider's) name: words, not a number, a date or a yes/no."""
    from rules.dates import parse_date  # a unit named like a date is a wrong answer

    name = _words(text)
    if not name:
        return _empty()
    if len(name) > max_length:
        return bad(f"太长了，最多{max_length}字。", f"Too long; at most {max_length} characters.")
    if any(unicodedata.category(c) == "So" for c in name):  # 😀, ★: not in a registered name
        return bad(
            "名称里不能有表情或符号（如😀★），请按证照上的名称填写。",
            "A name cannot hold emoji or symbols (such as 😀 ★): enter it as registered.",
        )
    letters = re.sub(r"[\d\s\W_]", "", name)
    if (
        name.lower() in _YES_NO_NONE
        or name.startswith(("/", "／"))  # a command mistyped, or a path: not a name
        or _FILING_NUMBER.search(name) is not None
        or len(letters) < 2
        or isinstance(parse_date(name, _ANY_DAY), dt.date)
        or "@" in name
    ):
        return bad(
            "这不像是名称。请填写完整的名称，如“示例云帆科技有限公司”。",
            "That does not look like a name. Enter the full name, e.g. Example Tech Co., Ltd.",
        )
    return ok(name)


_FILING_NUMBER = re.compile(r"(ICP|公网安)备", re.IGNORECASE)  # 京ICP备…号: not a name
_STATEMENT_WORDS = re.compile(r"[A-Za-z\u3400-\u9fff]{2,}")


@_refusing_hidden
def check_statement(text: str, max_length: int = 1000) -> FieldResult:
    """Check one measure, management system or approval the 备案表 states: words saying
    something, not a number, a phone number, a yes/no or a button's word typed."""
    found = check_plain_text(text, max_length)
    if not found.valid:
        return found
    said = str(found.normalized)
    if said.lower() in _YES_NO_NONE or said in ("确认无误", "确认提交", "采用建议", "自己填写"):
        return bad(
            f"“{said}”不是一条具体内容。请写出具体的措施、制度或许可名称，写完回复“完成”。",
            f"“{said}” says nothing the form can state. Write out the measure, system or "
            "licence, then reply “done”.",
        )
    if not _STATEMENT_WORDS.search(said) or "@" in said or _filler(said):
        return bad(
            "这不像是一条措施、制度或许可：请用文字写出具体内容，如“部署防火墙”。",
            "That does not read as a measure, a system or a licence: write it out in words.",
        )
    return found


# What people type to get past a question, not a measure: printed in the 备案表 as one.
_FILLERS = {
    "随便", "随便写", "随便填", "乱写", "瞎写", "乱填", "测试", "略", "等等", "等", "test",
    "testing", "asdf", "asdfgh", "qwer", "qwerty", "xxx", "xxxx", "abc", "abcd", "foo", "bar",
}  # fmt: skip


def _filler(said: str) -> bool:
    """Say whether a statement is a filler word or one syllable or two typed over and over
    (哈哈哈, aaaa, 啊啊): no measure, system or licence reads so."""
    compact = re.sub(r"[\s\W_]", "", said).lower()
    if compact in _FILLERS:
        return True
    return len(compact) >= 2 and any(
        compact == (compact[:n] * len(compact))[: len(compact)] and len(compact) >= 2 * n
        for n in (1, 2)
    )


_CODE_LIKE = re.compile(r"[A-Za-z]{0,2}\d{5,}[A-Za-z]?")  # E12345678, 13800138000, an ID


def check_address(text: str, max_length: int = 1000) -> FieldResult:
    """Check an address (a unit's, a server's): words with letters, not a number, an ID or
    passport number, an e-mail, a date or a yes/no."""
    from rules.dates import parse_date

    plain = check_plain_text(text, max_length)
    if not plain.valid or plain.normalized is None:
        return plain
    address = plain.normalized
    letters = re.sub(r"[\d\s\W_]", "", address)
    if (
        address.lower() in _YES_NO_NONE
        or len(letters) < 2
        or _CODE_LIKE.fullmatch(re.sub(r"[\s\-]", "", address))
        or "@" in address
        or isinstance(parse_date(address, _ANY_DAY), dt.date)
    ):
        return bad(
            "这不像是地址。请写到门牌号，如“示例市示例区云帆路88号”。",
            "That does not look like an address. Enter it down to the house number, e.g. "
            "88 Yunfan Road, Example District.",
        )
    return plain


@_refusing_hidden
def check_city(text: str) -> FieldResult:
    """Check a city (or county, province) of China: one the division table knows, or a
    foreign city written in letters."""
    from rules.places import is_known_place, is_outside_mainland

    name = _words(text)
    if not name:
        return _empty()
    if is_known_place(name) or is_outside_mainland(name):  # 香港, 新加坡, 境外: no bureau there
        # 杭 州 → 杭州; a name in letters keeps its spaces (Hong Kong, not HongKong).
        return ok(name if re.search(r"[A-Za-z]", name) else name.replace(" ", ""))
    if re.fullmatch(r"[A-Za-z][A-Za-z .'\-]{1,59}", name) and not re.search(r"\d", name):
        return ok(name)  # a foreign city, or a Chinese one in pinyin: not checked further
    return bad(
        f"没有找到“{name}”这个城市。请填写地级市或区县的名称，如“杭州”“余杭区”“上海”。",
        f"“{name}” is not a city we know. Enter a prefecture-level city or county, e.g. "
        "Hangzhou (杭州), Shanghai (上海).",
    )
