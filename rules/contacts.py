"""Ways to reach a person or a site: phone numbers, domains, IP addresses, e-mail, postcodes."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import idna
import phonenumbers

from rules.checking import FieldResult, _empty, _refusing_hidden, _squeeze, bad, fold, ok

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
    """Check a mobile number (for people who must be reachable at any hour): a mainland one,
    or one abroad written with its country code (a foreign or Hong Kong representative)."""
    if not fold(text):
        return _empty()
    number = _parse_phone(text)
    if number is not None and phonenumbers.number_type(number) == _MOBILE:
        return ok(_format_cn(number))
    abroad = _abroad(text)
    if abroad is not None:
        return ok(phonenumbers.format_number(abroad, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
    return bad(
        "请填写11位手机号，如13800138000；境外号码请加国际区号，如 +852 9123 4567。",
        "Enter an 11-digit mobile number, e.g. 13800138000; a number abroad with its country "
        "code, e.g. +852 9123 4567.",
    )


_MOBILE = phonenumbers.PhoneNumberType.MOBILE
_ABROAD_TYPES = (_MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _abroad(text: str) -> phonenumbers.PhoneNumber | None:
    """Return a valid mobile number outside the mainland typed as +country…, else None."""
    cleaned = re.sub(r"[\s\-()（）]", "", fold(text))
    if not cleaned.startswith(("+", "00")):
        return None
    try:
        number = phonenumbers.parse("+" + cleaned.lstrip("+0") if cleaned[0] == "0" else cleaned)
    except phonenumbers.NumberParseException:
        return None
    if number.country_code == 86 or not phonenumbers.is_valid_number(number):
        return None
    return number if phonenumbers.number_type(number) in _ABROAD_TYPES else None


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
    # Imported here: it costs 30 ms, a tenth of starting `beian deadline`, which never needs it.
    from email_validator import EmailNotValidError, validate_email

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
    if code.startswith("00"):  # the first two digits name the province: none is 00
        return bad(
            "邮政编码的前两位是省份代码，不会是00。请核对，如北京100000、杭州310000。",
            "A postcode's first two digits name the province, never 00: e.g. 100000 (Beijing).",
        )
    return ok(code)


@_refusing_hidden
def check_service_phone(text: str) -> FieldResult:
    """Check a provider's phone: a landline or mobile, or a service number (95187,
    400-810-8888, 800-…) that companies print on their sites."""
    raw = re.sub(r"[\s\-()（）]", "", fold(text))
    if not raw:
        return _empty()
    if re.fullmatch(r"9[56]\d{3}(\d{3})?|1\d{4}", raw):  # 95187, 96xxx; 10000, 10086
        return ok(raw)
    if re.fullmatch(r"[48]00\d{7}", raw):
        return ok(f"{raw[:3]}-{raw[3:6]}-{raw[6:]}")
    result = check_phone(text)
    if result.valid:
        return result
    return bad(
        "请填写服务商的客服电话：固定电话（如0571-88886666）、手机，或95187、400-810-8888这样的服务号码。",
        "Enter the provider's phone: a landline (e.g. 0571-88886666), a mobile, or a service "
        "number such as 95187 or 400-810-8888.",
    )
