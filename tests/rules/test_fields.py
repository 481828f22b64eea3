"""Valid and invalid vectors for every field check.

Check digits of valid numbers are computed here from the standards (GB 32100, GB 11643,
GB 11714), independently of the code under test, on invented bodies.
"""

from __future__ import annotations

import datetime as dt

import pytest

from rules.fields import CHECKS, check_date, check_field, check_id_card

TODAY = dt.date(2026, 11, 28)

# --- independent check-digit arithmetic --------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc_with_check(body17: str) -> str:
    weights = [pow(3, i, 31) for i in range(17)]
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, weights, strict=True))
    return body17 + USCC_ALPHABET[(31 - total % 31) % 31]


def id_with_check(body17: str) -> str:
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    total = sum(int(c) * w for c, w in zip(body17, weights, strict=True))
    return body17 + "10X98765432"[total % 11]


def org_with_check(body8: str) -> str:
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c, 36) * w for c, w in zip(body8, weights, strict=True))
    check = 11 - total % 11
    return f"{body8}-{ {10: 'X', 11: '0'}.get(check, str(check)) }".replace(" ", "")


def flip_last(code: str, alphabet: str) -> str:
    last = code[-1]
    return code[:-1] + next(c for c in alphabet if c != last)


# --- unified social credit code -----------------------------------------------------------------

USCC_BODIES = [
    "91350100M000100Y4",  # 9 工商 · 1 企业
    "12100000MB0123456",  # 1 机构编制 · 2 事业单位
    "51110000MJ0012345",  # 5 民政
    "Y1110000MA0123456",  # Y 其他: python-stdnum rejects this authority code
    "A1110000MA0000123",  # A
    "N2440300MA5FXXXX1".replace("X", "1"),  # N
]


@pytest.mark.parametrize("body", USCC_BODIES)
def test_uscc_with_a_correct_check_character_is_valid(body: str) -> None:
    code = uscc_with_check(body)
    result = check_field("uscc", code.lower())
    assert result.valid, result.error
    assert result.normalized == code


def test_uscc_typed_with_spaces_and_full_width_characters_is_normalised() -> None:
    code = uscc_with_check("91350100M000100Y4")
    typed = " ".join([code[:6], code[6:12], code[12:]])
    full_width = typed.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFMY"})
    assert check_field("uscc", full_width).normalized == code


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (flip_last(uscc_with_check("91350100M000100Y4"), USCC_ALPHABET), "校验位"),
        ("91350100M000100Y4", "18位"),
        ("91350100M000100I4X", "I"),
        ("B1110000MA0123456", "18位"),
        (uscc_with_check("B1110000MA012345"[:17].ljust(17, "0")), "登记管理部门"),
        (uscc_with_check("91AB0100M000100Y4"), "行政区划"),
        ("", "不能为空"),
    ],
)
def test_bad_uscc_says_why(value: str, fragment: str) -> None:
    result = check_field("uscc", value)
    assert not result.valid
    assert result.error is not None and fragment in result.error.zh
    assert result.error.en


# --- resident ID ------------------------------------------------------------------------------


def test_resident_id_with_correct_check_digit_is_valid() -> None:
    number = id_with_check("11010519900307123")
    result = check_id_card(number.lower(), TODAY)
    assert result.valid and result.normalized == number


def test_resident_id_whose_check_is_x_accepts_a_lower_case_x() -> None:
    body = next(
        f"1101051990030712{i}"
        for i in range(10)
        if id_with_check(f"1101051990030712{i}")[-1] == "X"
    )
    assert check_id_card(body + "x", TODAY).normalized == body + "X"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (flip_last(id_with_check("11010519900307123"), "0123456789"), "校验位"),
        (id_with_check("11010519901307123"), "出生日期"),  # month 13
        (id_with_check("11010520300307123"), "出生日期"),  # born in the future
        ("110105900307123", "15位"),
        ("1101051990030712", "18位"),
        ("11010519900307A23X", "数字"),
    ],
)
def test_bad_resident_id_says_why(value: str, fragment: str) -> None:
    result = check_id_card(value, TODAY)
    assert not result.valid
    assert result.error is not None and fragment in result.error.zh


# --- organisation code ------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["77578555", "60003734", "MA0123AB", "12345678"])
def test_organisation_code_with_correct_check_is_valid(body: str) -> None:
    code = org_with_check(body)
    result = check_field("org-code", code.replace("-", "").lower())
    assert result.valid and result.normalized == code


def test_the_standards_own_examples_are_valid() -> None:
    assert check_field("org-code", "77578555-2").valid
    assert check_field("org-code", "60003734-1").valid


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("77578555-3", "校验码"),
        ("7757855-2", "9位"),
        ("7757$555-2", "数字和大写字母"),
        (uscc_with_check("91350100M000100Y4"), "统一社会信用代码"),
    ],
)
def test_bad_organisation_code_says_why(value: str, fragment: str) -> None:
    result = check_field("org-code", value)
    assert not result.valid and result.error is not None and fragment in result.error.zh


# --- ICP and public-security numbers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("京ICP备12345678号-1", "京ICP备12345678号-1"),
        ("京ICP证030173号", "京ICP证030173号"),
        ("苏ICP备2023030123号-1", "苏ICP备2023030123号-1"),
        ("津 ICP 备 2026011740 号 - 1", "津ICP备2026011740号-1"),
        ("粤icp备12345678-2", "粤ICP备12345678号-2"),
        ("蜀ICP备14021561号", "蜀ICP备14021561号"),
        ("京ICP备12345678号-3A", "京ICP备12345678号-3A"),
        ("京ＩＣＰ备１２３４５６７８号－１", "京ICP备12345678号-1"),
    ],
)
def test_icp_numbers_are_normalised(typed: str, normalized: str) -> None:
    result = check_field("icp", typed)
    assert result.valid, result.error
    assert result.normalized == normalized


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("川ICP备12345678号", "蜀"),
        ("甘ICP备12345678号", "陇"),
        ("X ICP备12345678号", "省"),
        ("京ICP备123号", "6–10位"),
        ("京ICP证030173号-1", "没有"),
        ("京公网安备11010502030143号", "格式"),
        ("12345678", "格式"),
    ],
)
def test_bad_icp_numbers_say_why(value: str, fragment: str) -> None:
    result = check_field("icp", value)
    assert not result.valid and result.error is not None and fragment in result.error.zh


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("京公网安备11010502030143号", "京公网安备11010502030143号"),
        ("川公网安备 51010602000097 号", "川公网安备51010602000097号"),
        ("甘公网安备62010302000249", "甘公网安备62010302000249号"),
    ],
)
def test_psb_numbers_are_normalised(typed: str, normalized: str) -> None:
    assert check_field("psb-number", typed).normalized == normalized


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("京公网安备1101050203014号", "14位"),
        ("京公网安备99010502030143号", "省级"),
        ("京ICP备12345678号", "格式"),
        ("X公网安备11010502030143号", "省级简称"),
        # an ICP record's abbreviation: Sichuan's public-security numbers use 川 (filing-rules)
        ("蜀公网安备51010602000097号", "公安备案号用“川”"),
        ("陇公网安备62010302000249号", "公安备案号用“甘”"),
        ("京公网安备44030502009977号", "省级代码是11，而号码前两位是44"),  # Beijing, Shenzhen
    ],
)
def test_bad_psb_numbers_say_why(value: str, fragment: str) -> None:
    result = check_field("psb-number", value)
    assert not result.valid and result.error is not None and fragment in result.error.zh


# --- phones -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("010-12345678", "010-12345678"),
        ("(0755) 8888 8888", "0755-88888888"),
        ("02161234567", "021-61234567"),
    ],
)
def test_phones_are_normalised(typed: str, normalized: str) -> None:
    assert check_field("phone", typed).normalized == normalized


@pytest.mark.parametrize(
    "value", ["1380013800", "12345678", "95187", "021-6123456", "电话", "+1 202 555 0143"]
)
def test_bad_phones_are_refused(value: str) -> None:
    result = check_field("phone", value)
    assert not result.valid and result.error is not None and "手机号" in result.error.zh


def test_a_mobile_field_refuses_a_landline() -> None:
    assert check_field("mobile", "13800138000").valid
    assert not check_field("mobile", "010-12345678").valid


# --- domain, IP, e-mail, postcode ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("example.com", "example.com"),
        ("https://www.例子.中国/", "www.例子.中国"),
        ("HTTP://WWW.Example.COM:8080/about?x=1", "www.example.com"),
        ("xn--fsqu00a.xn--fiqs8s", "例子.中国"),
        ("www.example.com。", "www.example.com"),
        ("ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ", "www.example.com"),
    ],
)
def test_domains_are_normalised(typed: str, normalized: str) -> None:
    result = check_field("domain", typed)
    assert result.valid, result.error
    assert result.normalized == normalized


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("localhost", "至少"),
        ("47.96.12.34", "IP"),
        ("exa mple.com", "格式"),
        ("*.example.com", "通配符"),
        ("-bad-.com", "格式"),
        ("", "不能为空"),
    ],
)
def test_bad_domains_say_why(value: str, fragment: str) -> None:
    result = check_field("domain", value)
    assert not result.valid and result.error is not None and fragment in result.error.zh


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("47.96.12.34", "47.96.12.34"),
        ("240E:03B0:0000::0001", "240e:3b0::1"),
        ("[240e:3b0::1]", "240e:3b0::1"),
    ],
)
def test_public_ip_addresses_are_normalised(typed: str, normalized: str) -> None:
    assert check_field("ip", typed).normalized == normalized


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("192.168.1.10", "内网"), ("127.0.0.1", "内网"), ("256.1.1.1", "格式"), ("fe80::1", "内网")],
)
def test_bad_ip_addresses_say_why(value: str, fragment: str) -> None:
    result = check_field("ip", value)
    assert not result.valid and result.error is not None and fragment in result.error.zh


def test_email_is_checked_without_the_network() -> None:
    assert check_field("email", " Admin@Example.COM ").normalized == "Admin@example.com"
    assert check_field("email", "admin＠example.com").valid
    assert not check_field("email", "admin@").valid
    assert not check_field("email", "admin example.com").valid


def test_postcodes_have_six_digits() -> None:
    assert check_field("postcode", "１００ ０００").normalized == "100000"
    assert not check_field("postcode", "10000").valid
    assert not check_field("postcode", "10000a").valid
    for none in ("000000", "001234"):  # no province is 00: 000000 was valid
        refused = check_field("postcode", none)
        assert not refused.valid and refused.error is not None and "省份" in refused.error.zh
    assert check_field("postcode", "010010").valid  # 呼和浩特: a leading 0 is fine


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "iso"),
    [
        ("2026-11-28", "2026-11-28"),
        ("2026/11/28", "2026/11/28".replace("/", "-")),
        ("2026.1.5", "2026-01-05"),
        ("2026年11月28日", "2026-11-28"),
        ("2026年1月5号", "2026-01-05"),
        ("20261128", "2026-11-28"),
        ("２０２６年１１月２８日", "2026-11-28"),
        ("今天", "2026-11-28"),
        ("昨天", "2026-11-27"),
        ("前天", "2026-11-26"),
        ("11月3日", "2026-11-03"),
        (" Yesterday ", "2026-11-27"),
        # The forms a new user tried (TODAY is Saturday 2026-11-28).
        ("Nov 20", "2026-11-20"),
        ("Nov 20, 2026", "2026-11-20"),
        ("20 November 2026", "2026-11-20"),
        ("November 20th", "2026-11-20"),
        ("11/20", "2026-11-20"),
        ("11-20", "2026-11-20"),
        ("20/11", "2026-11-20"),
        ("20/11/2026", "2026-11-20"),
        ("上周五", "2026-11-20"),
        ("上星期五", "2026-11-20"),
        ("本周一", "2026-11-23"),
        ("下周一", "2026-11-30"),
        ("3天前", "2026-11-25"),
        ("三天前", "2026-11-25"),
        ("3 days ago", "2026-11-25"),
        ("last Friday", "2026-11-27"),
        ("上个月20号", "2026-10-20"),
        ("1月5日", "2027-01-05"),  # the nearest year: early next year, not last January
    ],
)
def test_dates_are_read_the_way_people_type_them(typed: str, iso: str) -> None:
    result = check_date(typed, TODAY)
    assert result.valid, result.error
    assert result.normalized == iso


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2026-02-30", "不是有效日期"),
        ("2026-13-01", "没有13月"),
        ("下周", "没有看懂这个日期"),
        ("周末", "没有看懂这个日期"),
        ("nov", "没有看懂这个日期"),
        ("2/30", "2月没有30日"),
        ("1890-01-01", "年份"),
        ("", "不能为空"),
    ],
)
def test_bad_dates_say_why(value: str, fragment: str) -> None:
    result = check_date(value, TODAY)
    assert not result.valid and result.error is not None and fragment in result.error.zh


# --- never raises -------------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "😀" * 50,
    "<script>alert(1)</script>",
    "９" * 300,
    "-" * 1000,
    "xn--",
    "..",
    "http://",
    "[::1",
    "京ICP备",
    "公网安备号",
    "０ｘ",
    "\u200b",
    "%00",
]


@pytest.mark.parametrize("field", sorted(CHECKS))
def test_no_input_makes_a_check_raise(field: str) -> None:
    for value in NASTY:
        result = check_field(field, value, TODAY)
        assert result.valid or (result.error is not None and result.error.zh and result.error.en)


def test_plain_text_is_trimmed_and_folded_and_refuses_what_cannot_be_printed() -> None:
    from rules.fields import check_plain_text

    assert check_plain_text("  示例   科技\n有限公司 ").normalized == "示例 科技 有限公司"
    assert not check_plain_text("   ").valid
    assert not check_plain_text("名\x00字").valid
    too_long = check_plain_text("字" * 51, 50)
    assert not too_long.valid
    assert too_long.error is not None
    assert "最多50字" in too_long.error.zh


def test_the_credential_depends_on_the_subject_type() -> None:
    from rules.fields import check_credential

    assert check_credential("330106198506120015", "individual").valid
    assert not check_credential("91330106MA2B3C4D5D", "individual").valid
    assert check_credential("91330106MA2B3C4D5D", "enterprise").valid
    assert check_credential("12345678-8", "government").valid
    assert not check_credential("12345678-8", "enterprise").valid


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Nguyễn Văn An", "Nguyễn Văn An"),  # was refused (Latin Extended Additional)
        ("Łukasz Nowak", "Łukasz Nowak"),
        ("Ｌｉｎ Ｙｕｎｆａｎ", "Lin Yunfan"),  # full-width letters, as a Chinese keyboard gives
        ("María José", "María José"),
    ],
)
def test_a_foreign_name_in_any_latin_letters_is_taken(typed: str, kept: str) -> None:
    from rules.names import check_person_name

    result = check_person_name(typed)
    assert result.valid and result.normalized == kept
    assert not check_person_name("John × Doe").valid  # a sign is not a letter


def test_a_resident_id_number_given_as_a_passport_is_refused_with_the_way_out() -> None:
    from rules.codes import check_person_id

    refused = check_person_id("11010519491231002X", "passport")
    assert not refused.valid and refused.error is not None and "居民身份证" in refused.error.zh
    assert check_person_id("E12345678", "passport").valid


@pytest.mark.parametrize("typed", ["确认", "完成", "下一步", "跳过", "同上", "Confirm", "next"])
def test_a_word_meant_to_go_on_is_not_taken_as_a_unit_s_name(typed: str) -> None:
    """「确认」 typed at the registrar's question was stored as the registrar's name."""
    from rules.names import check_unit_name

    result = check_unit_name(typed)
    assert not result.valid and result.error is not None
    assert "不像是名称" in result.error.zh
    assert check_unit_name("确认科技有限公司").valid  # a name that holds such a word is one


@pytest.mark.parametrize(
    ("typed", "valid"),
    [
        ("E12345678", False),  # a passport number
        ("13800138000", False),  # a mobile
        ("110101199003071234", False),  # an ID number
        ("lin@example.cn", False),
        ("确认", False),
        ("2026-11-20", False),
        ("示例市示例区云帆路88号", True),
        ("88 Yunfan Road, Example District", True),
        ("浙江省杭州市余杭区（阿里云华东1）", True),
        ("cn-hangzhou", True),
    ],
)
def test_an_address_has_words_not_a_number_of_another_kind(typed: str, valid: bool) -> None:
    """「E12345678」 was stored as a unit's postal address."""
    from rules.names import check_address

    result = check_address(typed)
    assert result.valid is valid
    if not valid:
        assert result.error is not None and "不像是地址" in result.error.zh
