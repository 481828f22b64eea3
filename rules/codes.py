"""Identification numbers: credit codes, ID cards, organisation codes, ICP and police numbers."""

from __future__ import annotations

import datetime as dt
import re

from stdnum.cn import ric, uscc

from rules.checking import FieldResult, _empty, _refusing_hidden, _squeeze, bad, fold, ok
from rules.clock import today_local
from rules.enums import SubjectType
from rules.text import Text, t

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
    if not number[:17].isdigit() and check_uscc(number).valid:
        return bad(
            "这是统一社会信用代码，这里请填写18位身份证号码。",
            "That is a unified social credit code; enter the 18-digit ID number here.",
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
    if prefix in _ICP_ONLY:  # filing-rules.md: 蜀ICP备…, but 川公网安备…
        police = _ICP_ONLY[prefix]
        return bad(
            f"“{prefix}”是ICP备案号用的简称，公安备案号用“{police}”，如“{police}公网安备{digits}号”。",
            f"“{prefix}” is the ICP records' abbreviation; public-security numbers use “{police}”.",
        )
    province = _PSB_PROVINCE.get(prefix)
    if province is not None and digits[:2] != province:
        return bad(
            f"“{prefix}”的省级代码是{province}，而号码前两位是{digits[:2]}，请核对。",
            f"“{prefix}” is province code {province}, but the number starts {digits[:2]}: "
            "check it.",
        )
    return ok(f"{prefix}公网安备{digits}号")


# A public-security number's province abbreviation and the province code its digits begin
# with (the rest of the division code is not checked: function zones are not in GB/T 2260).
_PSB_PROVINCE = {
    "京": "11", "津": "12", "冀": "13", "晋": "14", "蒙": "15", "辽": "21", "吉": "22",
    "黑": "23", "沪": "31", "苏": "32", "浙": "33", "皖": "34", "闽": "35", "赣": "36",
    "鲁": "37", "豫": "41", "鄂": "42", "湘": "43", "粤": "44", "桂": "45", "琼": "46",
    "渝": "50", "川": "51", "贵": "52", "黔": "52", "云": "53", "滇": "53", "藏": "54",
    "陕": "61", "甘": "62", "青": "63", "宁": "64", "新": "65",
}  # fmt: skip
_ICP_ONLY = {"蜀": "川", "陇": "甘"}  # ICP prefixes a public-security number does not use


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
    if result.valid and result.normalized is not None:
        return _registered_as(result, subject_type)
    return result


# A credit code's first character names the authority that registered the unit (GB
# 32100-2015): 1 机构编制 (organs, public institutions), 5 民政 (social organisations), 9 市场
# 监管 (enterprises). Only the pairs that cannot be right are refused.
_NOT_THEIRS: dict[str, dict[str, Text]] = {
    SubjectType.GOVERNMENT: {"9": t("企业（市场监管部门登记）", "an enterprise's")},
    SubjectType.SOCIAL_ORG: {"9": t("企业（市场监管部门登记）", "an enterprise's")},
    SubjectType.ENTERPRISE: {
        "1": t("机关、事业单位（机构编制部门登记）", "a public body's"),
        "5": t("社会组织（民政部门登记）", "a social organisation's"),
    },
}


def _registered_as(result: FieldResult, subject_type: str | None) -> FieldResult:
    """Refuse a valid credit code that another kind of unit holds (its first character)."""
    code = result.normalized or ""
    whose = _NOT_THEIRS.get(subject_type or "", {}).get(code[:1])
    if whose is None:
        return result
    return bad(
        f"这个代码以{code[0]}开头，是{whose.zh}的统一社会信用代码，与所选的开办主体类型不符。"
        "请核对证书上的代码；若是主体类型选错了，请发送“/edit 开办主体类型”修改。",
        f"A code starting with {code[0]} is {whose.en} credit code, which does not fit the "
        "subject type chosen. Please check the code on the certificate; if the subject type "
        "is wrong, send “/edit subject type” to change it.",
    )


def unit_credential_label(number: str) -> Text:
    """Name a unit's credential as the form does: the organisation code (a government body's,
    written XXXXXXXX-X) or the unified social credit code."""
    if len(number) == 10:
        return t("组织机构代码", "Organisation code")
    return t("统一社会信用代码", "Unified social credit code")


# --- a person's identity document --------------------------------------------------------------


def _check_passport(number: str) -> FieldResult:
    if re.fullmatch(r"[A-Z0-9]{5,20}", number) and re.search(r"\d", number):
        return ok(number)
    return bad(
        "护照号码应为5–20位字母和数字，如 E12345678。",
        "A passport number has 5–20 letters and digits, e.g. E12345678.",
    )


def _check_hk_macao_permit(number: str) -> FieldResult:
    if re.fullmatch(r"[HM]\d{8}(\d{2})?", number):
        return ok(number)
    return bad(
        "港澳居民来往内地通行证号码应为H或M开头，后接8位（或10位）数字，如 H12345678。",
        "A Home Return Permit number is H or M followed by 8 (or 10) digits, e.g. H12345678.",
    )


def _check_tw_permit(number: str) -> FieldResult:
    if re.fullmatch(r"\d{8}", number) or re.fullmatch(r"[A-Z0-9]{10}", number):
        return ok(number)
    return bad(
        "台湾居民来往大陆通行证号码应为8位数字，如 12345678。",
        "A Mainland Travel Permit for Taiwan residents has 8 digits, e.g. 12345678.",
    )


def _check_foreign_permanent(number: str) -> FieldResult:
    if re.fullmatch(r"[A-Z]{3}\d{12}", number):  # the card of 2004–2023
        return ok(number)
    if re.fullmatch(r"9\d{16}[\dX]", number):  # the card since December 2023: GB 11643 digits
        if ric.calc_check_digit(number) == number[17]:
            return ok(number)
        return bad(
            "外国人永久居留身份证号码校验位不正确，请核对。",
            "The permanent residence ID's check digit is wrong; please check it.",
        )
    return bad(
        "外国人永久居留身份证号码应为18位（以9开头）或15位（3个字母+12位数字）。",
        "A foreign permanent residence ID has 18 digits starting with 9, or 3 letters and "
        "12 digits.",
    )


ID_TYPES: dict[str, Text] = {
    "resident_id": t("居民身份证", "Resident ID card"),
    "passport": t("护照", "Passport"),
    "hk_macao_permit": t("港澳居民来往内地通行证", "Home Return Permit (Hong Kong, Macao)"),
    "tw_permit": t("台湾居民来往大陆通行证", "Mainland Travel Permit (Taiwan)"),
    "foreign_permanent": t("外国人永久居留身份证", "Foreign Permanent Residence ID"),
}

# An example number of each document type (shown when a number is refused).
ID_EXAMPLES: dict[str, str] = {
    "resident_id": "11010519491231002X",
    "passport": "E12345678",
    "hk_macao_permit": "H12345678",
    "tw_permit": "12345678",
    "foreign_permanent": "USA330077120186",
}


@_refusing_hidden
def check_person_id(text: str, id_type: str | None, today: dt.date | None = None) -> FieldResult:
    """Check a person's document number by its type (a resident ID when none is given)."""
    if id_type in (None, "resident_id"):
        return check_id_card(text, today)
    number = _squeeze(text).upper()
    if not number:
        return _empty()
    if id_type == "passport" and len(number) == 18 and check_id_card(number, today).valid:
        return bad(  # a resident ID passes as 5–20 letters and digits: say which it is
            "这是居民身份证号码。证件是居民身份证的，证件类型请选“居民身份证”；否则请填写护照号码。",
            "That is a resident ID number. If the document is a resident ID card, choose that "
            "type; otherwise enter the passport number.",
        )
    checks = {
        "passport": _check_passport,
        "hk_macao_permit": _check_hk_macao_permit,
        "tw_permit": _check_tw_permit,
        "foreign_permanent": _check_foreign_permanent,
    }
    return checks[id_type](number)


@_refusing_hidden
def check_org_or_uscc(text: str) -> FieldResult:
    """Check an organisation code (as the form asks) or the credit code that replaced it."""
    if len(_squeeze(text)) == 18:
        return check_uscc(text)
    return check_org_code(text)
