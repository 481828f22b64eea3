"""Checks for every field an applicant types: a normalised value or a reason, never an exception."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import idna
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.cn import ric, uscc

from rules.clock import today_local
from rules.enums import SubjectType
from rules.text import Text, t


@dataclass(frozen=True)
class FieldResult:
    """The outcome of a check: `normalized` when valid, `error` (zh + en) when not."""

    valid: bool
    normalized: str | None = None
    error: Text | None = None


def ok(value: str) -> FieldResult:
    """Return a valid result holding `value`."""
    return FieldResult(valid=True, normalized=value)


def bad(zh: str, en: str) -> FieldResult:
    """Return an invalid result with its reason."""
    return FieldResult(valid=False, error=t(zh, en))


def fold(text: str) -> str:
    """Fold full-width letters, digits and punctuation to ASCII and trim the ends."""
    return unicodedata.normalize("NFKC", text).strip()


def _squeeze(text: str) -> str:
    """Fold, then drop spaces and the separators people type inside numbers."""
    return re.sub(r"[\s\-—–_.·]", "", fold(text))


_EMPTY = t("这一项不能为空。", "This field cannot be empty.")

# Characters no field may hold: they are invisible, reorder the text around them (a bidi
# override turned “a‮gpj.exe” into “aexe.jpg”), or are not valid Unicode at all.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BROKEN = t(
    "含有无效的字符（可能在复制时损坏），请重新输入。",
    "Contains invalid characters (perhaps damaged when copied); please type it again.",
)
_HIDDEN = t(
    "含有不可见的控制字符或格式字符（如文字方向控制符、零宽字符），请删除后重新输入。",
    "Contains invisible control or formatting characters (such as direction marks or "
    "zero-width characters); please remove them.",
)


def broken_unicode(text: str) -> bool:
    """Say whether `text` is not valid Unicode text (lone surrogates, U+FFFD from bad bytes)."""
    return any(0xD800 <= ord(c) <= 0xDFFF or c == "\ufffd" for c in text)


def text_problem(text: str) -> Text | None:
    """Return why `text` cannot be a field's value: broken or invisible characters."""
    if broken_unicode(text):
        return _BROKEN
    for c in text:
        code = ord(c)
        if c in "\t\n\r":
            continue
        if code < 0x20 or 0x7F <= code <= 0x9F or c in _BIDI:
            return _HIDDEN
        category = unicodedata.category(c)
        if category in ("Cf", "Cn") or (0xFDD0 <= code <= 0xFDEF) or (code & 0xFFFE) == 0xFFFE:
            return _HIDDEN if category == "Cf" else _BROKEN
    return None


def _refusing_hidden(check: Callable[..., FieldResult]) -> Callable[..., FieldResult]:
    """Run `check` only on text free of broken and invisible characters."""

    def run(text: str, *args: Any, **kwargs: Any) -> FieldResult:
        problem = text_problem(text)
        if problem is not None:
            return FieldResult(valid=False, error=problem)
        return check(text, *args, **kwargs)

    run.__name__, run.__doc__ = check.__name__, check.__doc__
    return run


def _empty() -> FieldResult:
    return FieldResult(valid=False, error=_EMPTY)


# --- unified social credit code (GB 32100-2015) --------------------------------------------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Registration-authority codes: 1–9 and A, N, Y (A 中央军委改革和编制办公室, N 农业, Y 其他).
_USCC_AUTHORITIES = "123456789ANY"


@_refusing_hidden
def check_uscc(text: str) -> FieldResult:
    """Check an 18-character unified social credit code (统一社会信用代码)."""
    code = _squeeze(text).upper()
    if not code:
        return _empty()
    if len(code) != 18:
        return bad(
            f"统一社会信用代码应为18位，您输入了{len(code)}位。",
            f"A unified social credit code has 18 characters; you entered {len(code)}.",
        )
    wrong = [c for c in code if c not in _USCC_ALPHABET]
    if wrong:
        return bad(
            f"统一社会信用代码中不能出现“{wrong[0]}”（不使用字母I、O、Z、S、V）。",
            f"“{wrong[0]}” cannot appear in a unified social credit code (no I, O, Z, S, V).",
        )
    if code[0] not in _USCC_AUTHORITIES:
        return bad(
            f"第1位登记管理部门代码“{code[0]}”无效。",
            f"The first character (registration authority) “{code[0]}” is not valid.",
        )
    if not code[2:8].isdigit():
        return bad(
            "第3–8位应为6位数字的行政区划代码。",
            "Characters 3–8 must be a 6-digit administrative division code.",
        )
    # stdnum's check-digit arithmetic holds for every authority code; its validate() does not.
    if uscc.calc_check_digit(code[:17]) != code[17]:
        return bad(
            "统一社会信用代码校验位不正确，请核对营业执照或证书上的代码。",
            "The check character is wrong; please copy the code again from the certificate.",
        )
    return ok(code)


# --- resident identity card (GB 11643-1999) --------------------------------------------------


@_refusing_hidden
def check_id_card(text: str, today: dt.date | None = None) -> FieldResult:
    """Check an 18-digit resident ID number (居民身份证号码)."""
    number = _squeeze(text).upper()
    if not number:
        return _empty()
    if len(number) == 15 and number.isdigit():
        return bad(
            "这是旧的15位身份证号码，请填写18位号码。",
            "This is an old 15-digit ID number; please enter the 18-digit one.",
        )
    if len(number) != 18:
        return bad(
            f"身份证号码应为18位，您输入了{len(number)}位。",
            f"An ID number has 18 characters; you entered {len(number)}.",
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return bad(
            "身份证号码前17位应为数字，最后一位为数字或X。",
            "The first 17 characters must be digits, the last a digit or X.",
        )
    if ric.calc_check_digit(number) != number[17]:
        return bad(
            "身份证号码校验位不正确，请核对后重新输入。",
            "The ID number's check digit is wrong; please check it.",
        )
    try:
        born = ric.get_birth_date(number)
    except Exception:  # stdnum raises InvalidComponent for an impossible date
        born = None
    today = today or today_local()
    if born is None or born > today or born.year < 1900:
        return bad(
            "身份证号码中的出生日期（第7–14位）不是有效日期。",
            "The birth date in the ID number (characters 7–14) is not a valid date.",
        )
    return ok(number)


# --- organisation code (GB 11714-1997) -------------------------------------------------------

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check_char(body: str) -> str:
    """Return the GB 11714 check character for an 8-character body."""
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


@_refusing_hidden
def check_org_code(text: str) -> FieldResult:
    """Check an organisation code (组织机构代码), written XXXXXXXX-X."""
    code = _squeeze(text).upper()
    if not code:
        return _empty()
    if len(code) == 18:
        return bad(
            "这像是18位统一社会信用代码；组织机构代码是其中第9–17位（9位）。",
            "This looks like an 18-character credit code; the organisation code is its "
            "characters 9–17.",
        )
    if len(code) != 9:
        return bad(
            "组织机构代码应为9位（8位本体代码+1位校验码），如 77578555-2。",
            "An organisation code has 9 characters (8 + 1 check), e.g. 77578555-2.",
        )
    if not re.fullmatch(r"[0-9A-Z]{8}[0-9X]", code):
        return bad(
            "组织机构代码只能包含数字和大写字母，最后一位为数字或X。",
            "Only digits and capital letters; the last character is a digit or X.",
        )
    if org_code_check_char(code[:8]) != code[8]:
        return bad(
            "组织机构代码校验码不正确，请核对证书。",
            "The organisation code's check character is wrong; please check the certificate.",
        )
    return ok(f"{code[:8]}-{code[8]}")


# --- MIIT ICP number and public-security filing number ---------------------------------------

# One-character province abbreviations used in ICP numbers (Sichuan 蜀, Guizhou 黔, Gansu 陇).
ICP_PREFIXES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝蜀黔滇藏陕陇青宁新"
# Police numbers use some other abbreviations (川, 甘, 贵, 云); accept both sets.
PSB_PREFIXES = ICP_PREFIXES + "川甘贵云"
_ICP_WRONG_PREFIX = {"川": "蜀", "甘": "陇", "贵": "黔", "云": "滇"}


@_refusing_hidden
def check_icp(text: str) -> FieldResult:
    """Check an MIIT ICP filing or licence number (京ICP备12345678号-1, 京ICP证030173号)."""
    raw = re.sub(r"\s", "", fold(text)).upper()
    if not raw:
        return _empty()
    m = re.fullmatch(r"(.)ICP([备证])(\d+)号?(?:-(\d+[A-Z]?))?", raw)
    if not m:
        return bad(
            "ICP备案号格式应如“京ICP备12345678号-1”或“京ICP证030173号”。",
            "An ICP number looks like “京ICP备12345678号-1” or “京ICP证030173号”.",
        )
    prefix, kind, digits, serial = m.groups()
    if prefix in _ICP_WRONG_PREFIX:
        right = _ICP_WRONG_PREFIX[prefix]
        return bad(
            f"ICP备案号的省份简称是“{right}”而不是“{prefix}”。",
            f"The province prefix in ICP numbers is “{right}”, not “{prefix}”.",
        )
    if prefix not in ICP_PREFIXES:
        return bad(
            f"“{prefix}”不是省级简称，ICP备案号应以省份简称开头，如“京”“粤”。",
            f"“{prefix}” is not a province abbreviation such as 京 or 粤.",
        )
    if kind == "备" and not 6 <= len(digits) <= 10:
        return bad(
            "ICP备案号的数字部分应为6–10位。",
            "The number part of an ICP filing number has 6–10 digits.",
        )
    if kind == "证" and not 6 <= len(digits) <= 8:
        return bad(
            "ICP许可证号的数字部分应为6–8位。",
            "The number part of an ICP licence has 6–8 digits.",
        )
    if kind == "证" and serial:
        return bad(
            "ICP许可证号后面没有“-序号”。",
            "An ICP licence number has no “-N” site serial.",
        )
    suffix = f"-{serial}" if serial else ""
    return ok(f"{prefix}ICP{kind}{digits}号{suffix}")


@_refusing_hidden
def check_psb_number(text: str) -> FieldResult:
    """Check a public-security filing number (京公网安备11010502030143号)."""
    raw = re.sub(r"\s", "", fold(text))
    if not raw:
        return _empty()
    m = re.fullmatch(r"(.)公网安备(\d+)号?", raw)
    if not m:
        return bad(
            "公安备案号格式应如“京公网安备11010502030143号”。",
            "A public-security filing number looks like “京公网安备11010502030143号”.",
        )
    prefix, digits = m.groups()
    if prefix not in PSB_PREFIXES:
        return bad(
            f"“{prefix}”不是省级简称。",
            f"“{prefix}” is not a province abbreviation.",
        )
    if len(digits) != 14:
        return bad(
            f"公安备案号的数字部分应为14位，您输入了{len(digits)}位。",
            f"The number part has 14 digits; you entered {len(digits)}.",
        )
    if not 11 <= int(digits[:2]) <= 82:
        return bad(
            "公安备案号前两位应为省级行政区划代码（11–82）。",
            "The first two digits must be a province code (11–82).",
        )
    return ok(f"{prefix}公网安备{digits}号")


# --- phones ----------------------------------------------------------------------------------

_PHONE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def _parse_phone(text: str) -> phonenumbers.PhoneNumber | None:
    cleaned = re.sub(r"[\s\-()（）]", "", fold(text))
    try:
        number = phonenumbers.parse(cleaned, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    return number


def _format_cn(number: phonenumbers.PhoneNumber) -> str:
    national = phonenumbers.national_significant_number(number)
    area = phonenumbers.length_of_geographical_area_code(number)
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE or not area:
        return national
    return f"0{national[:area]}-{national[area:]}"


@_refusing_hidden
def check_phone(text: str) -> FieldResult:
    """Check a mainland mobile or landline number; landlines come out as 0区号-号码."""
    if not fold(text):
        return _empty()
    number = _parse_phone(text)
    if number is None or phonenumbers.number_type(number) not in _PHONE_TYPES:
        return bad(
            "请填写有效的手机号（11位，如13800138000）或带区号的固定电话（如010-12345678）。",
            "Enter a valid mobile (11 digits, e.g. 13800138000) or a landline with its area "
            "code (e.g. 010-12345678).",
        )
    return ok(_format_cn(number))


@_refusing_hidden
def check_mobile(text: str) -> FieldResult:
    """Check a mainland mobile number (for people who must be reachable at any hour)."""
    if not fold(text):
        return _empty()
    number = _parse_phone(text)
    if number is None or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        return bad(
            "请填写11位手机号，如13800138000。",
            "Enter an 11-digit mobile number, e.g. 13800138000.",
        )
    return ok(_format_cn(number))


# --- domain, IP, e-mail, postcode ------------------------------------------------------------


@_refusing_hidden
def check_domain(text: str) -> FieldResult:
    """Check a domain name; strip a pasted scheme, path or port; return its Unicode form."""
    raw = fold(text).rstrip("。.")
    if not raw:
        return _empty()
    raw = raw.replace("。", ".")
    try:
        host = (urlsplit(raw if "//" in raw else f"//{raw}").hostname or "").rstrip(".")
    except ValueError:  # e.g. an unbalanced "[" in a pasted URL
        host = ""
    if host.startswith("*."):
        return bad(
            "请填写具体域名，不要使用通配符“*”。",
            "Enter a concrete domain, not a wildcard “*”.",
        )
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
        unicode_host = idna.decode(ascii_host)
    except (idna.IDNAError, UnicodeError, ValueError):
        return bad(
            "域名格式不正确，应如 www.example.com 或 例子.中国。",
            "Not a valid domain; it should look like www.example.com or 例子.中国.",
        )
    labels = ascii_host.split(".")
    if len(labels) < 2:
        return bad(
            "域名至少包含一个点，如 example.com。",
            "A domain has at least one dot, e.g. example.com.",
        )
    if labels[-1].isdigit() or _is_ip(host):
        return bad(
            "这是IP地址，请在“IP地址”一项填写，这里填写域名。",
            "This is an IP address; enter it as the IP, and a domain here.",
        )
    if len(ascii_host) > 253:
        return bad("域名过长。", "The domain is too long.")
    return ok(unicode_host)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@_refusing_hidden
def check_ip(text: str) -> FieldResult:
    """Check a public IPv4 or IPv6 address."""
    raw = fold(text).strip("[]")
    if not raw:
        return _empty()
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return bad(
            "IP地址格式不正确，应如 47.96.12.34 或 240e:3b0::1。",
            "Not a valid IP address; it should look like 47.96.12.34 or 240e:3b0::1.",
        )
    if not address.is_global:
        return bad(
            "这是内网、本机或保留地址，请填写网站服务器的公网IP。",
            "This is a private, local or reserved address; enter the server's public IP.",
        )
    return ok(address.compressed)


@_refusing_hidden
def check_email(text: str) -> FieldResult:
    """Check an e-mail address's syntax (no network look-up)."""
    raw = fold(text)
    if not raw:
        return _empty()
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        return bad(
            "电子邮箱格式不正确，应如 name@example.com。",
            "Not a valid e-mail address; it should look like name@example.com.",
        )
    return ok(checked.normalized)


@_refusing_hidden
def check_postcode(text: str) -> FieldResult:
    """Check a 6-digit mainland postcode."""
    code = _squeeze(text)
    if not code:
        return _empty()
    if not re.fullmatch(r"\d{6}", code):
        return bad("邮政编码应为6位数字，如100000。", "A postcode has 6 digits, e.g. 100000.")
    return ok(code)


# --- dates -----------------------------------------------------------------------------------

_RELATIVE_DAYS = {"今天": 0, "今日": 0, "昨天": -1, "昨日": -1, "前天": -2, "明天": 1, "后天": 2}
_RELATIVE_DAYS_EN = {"today": 0, "yesterday": -1, "tomorrow": 1}


@_refusing_hidden
def check_date(text: str, today: dt.date | None = None) -> FieldResult:
    """Parse a date typed the way people type it: 2026-11-28, 2026年11月28日, 20261128, 昨天."""
    raw = re.sub(r"\s", "", fold(text)).lower()
    if not raw:
        return _empty()
    today = today or today_local()
    offset = _RELATIVE_DAYS.get(raw, _RELATIVE_DAYS_EN.get(raw))
    if offset is not None:
        return ok((today + dt.timedelta(days=offset)).isoformat())
    patterns = (
        r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})",
        r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?",
        r"(\d{4})(\d{2})(\d{2})",
    )
    for pattern in patterns:
        m = re.fullmatch(pattern, raw)
        if m:
            return _make_date(*(int(g) for g in m.groups()))
    m = re.fullmatch(r"(\d{1,2})月(\d{1,2})[日号]?", raw)
    if m:
        return _make_date(today.year, int(m.group(1)), int(m.group(2)))
    return bad(
        "日期格式无法识别，请按“2026-11-28”或“2026年11月28日”填写，也可以写“今天”“昨天”。",
        "Could not read the date; write it as 2026-11-28 (or “today”, “yesterday”).",
    )


def _make_date(year: int, month: int, day: int) -> FieldResult:
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return bad(
            f"{year}年{month}月{day}日不是有效日期。",
            f"{year}-{month:02d}-{day:02d} is not a valid date.",
        )
    if not 1990 <= year <= 2100:
        return bad(f"年份{year}不合理，请检查。", f"The year {year} looks wrong; please check.")
    return ok(value.isoformat())


# --- free text (names, addresses) -------------------------------------------------------------


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


# --- the subject's credential -----------------------------------------------------------------


@_refusing_hidden
def check_credential(
    text: str, subject_type: str | None, today: dt.date | None = None
) -> FieldResult:
    """Check the credential that fits the subject: a resident ID for an individual, a USCC
    for a unit, or (government bodies only) the older organisation code."""
    if subject_type == SubjectType.INDIVIDUAL:
        return check_id_card(text, today)
    result = check_uscc(text)
    if not result.valid and subject_type == SubjectType.GOVERNMENT:
        org = check_org_code(text)
        return org if org.valid else result
    return result


# --- the registry used by the CLI and the interview -------------------------------------------

CHECKS: dict[str, Callable[[str], FieldResult]] = {
    "uscc": check_uscc,
    "id-card": check_id_card,
    "org-code": check_org_code,
    "icp": check_icp,
    "psb-number": check_psb_number,
    "phone": check_phone,
    "mobile": check_mobile,
    "domain": check_domain,
    "ip": check_ip,
    "email": check_email,
    "postcode": check_postcode,
    "date": check_date,
}


def check_field(field: str, text: str, today: dt.date | None = None) -> FieldResult:
    """Run the check named `field`; dates and ID numbers are judged against `today`."""
    if field == "date":
        return check_date(text, today)
    if field == "id-card":
        return check_id_card(text, today)
    return CHECKS[field](text)
