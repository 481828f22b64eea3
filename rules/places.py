"""China's provinces, prefecture-level cities and counties, for telling a city from a typo.

The names come from python-stdnum's administrative-division table (GB/T 2260 codes, from
Wikipedia, maintained with the library: `stdnum/cn/loc.dat`). A place is known by its full
name (杭州市, 余杭区, 恩施土家族苗族自治州) or without its suffix (杭州, 余杭, 恩施), optionally
after its province (浙江杭州, 浙江省杭州市). Names a division no longer has (an end year in the
table) are still known: people keep using them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_SUFFIXES = (
    "特别行政区",
    "特別行政區",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "新区",
    "林区",
    "特区",
    "省",
    "市",
    "区",
    "县",
    "州",
    "盟",
    "旗",
)
_NOT_PLACES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "市辖县"}
_LINE = re.compile(r'^\s*(\d{2}|\d{4})\s+(province|county)="([^"]+)"')
_NAME = re.compile(r"^(?:\[(\d*)-(\d*)\])?(.+)$")  # [1981-]大连市, [-1980]旅大市


@dataclass(frozen=True)
class Division:
    """One name of a province, prefecture-level city or county in the division table."""

    name: str
    province: str  # its province's code (two digits)
    is_province: bool
    city: bool  # a province or a prefecture-level city, not a county
    former: bool  # a name the division no longer has (旅大市 for 大连市)
    order: int  # its place in the table


def short_name(name: str) -> str:
    """Return a place name without its suffix (杭州市 → 杭州; never shorter than two)."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=1)
def divisions() -> tuple[Division, ...]:
    """Return every name the table lists (a renamed division: each of its names)."""
    import stdnum.cn

    path = Path(stdnum.cn.__file__).parent / "loc.dat"
    found: list[Division] = []
    province = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        code, level = m.group(1), m.group(2)
        if level == "province":
            province = code
        city = level == "province" or (code.endswith("00") and code != "0000")
        for part in m.group(3).split(","):
            named = _NAME.match(part.strip())
            if named is None or named.group(3).strip() in _NOT_PLACES:
                continue
            former = bool(named.group(2))
            name = named.group(3).strip()
            found.append(Division(name, province, level == "province", city, former, len(found)))
    return tuple(found)


@lru_cache(maxsize=1)
def _places() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Return (every known name, long and short; province names, long and short;
    provinces and prefecture-level cities, long and short — the places an address names)."""
    names: set[str] = set()
    provinces: set[str] = set()
    cities: set[str] = set()
    for division in divisions():
        both = {division.name, short_name(division.name)}
        names.update(both)
        if division.is_province:
            provinces.update(both)
        if division.city:
            cities.update(both)
    names.update({"香港", "澳门", "台湾", "香港特别行政区", "澳门特别行政区"})
    # Zones people name as their city, which the division table files under their counties.
    names.update({"雄安", "雄安新区", "两江新区", "苏州工业园区", "苏州工业园", "前海", "横琴"})
    return frozenset(names), frozenset(provinces), frozenset(cities)


def is_known_place(text: str) -> bool:
    """Say whether `text` names a province, a prefecture-level city or a county of China."""
    name = re.sub(r"\s", "", text)
    names, provinces, _cities = _places()
    if name in names:
        return True
    for province in sorted(provinces, key=len, reverse=True):  # 浙江杭州, 浙江省杭州市
        if name.startswith(province) and name[len(province) :] in names:
            return True
    return False


# Where the mainland's public-security filing has no bureau: Hong Kong, Macao, Taiwan and
# abroad, by the names people give a server's (or a maintainer's) place. A name in letters
# stays a city (pinyin of a mainland one, or a foreign one: not told apart).
_OUTSIDE = frozenset(
    "境外 海外 国外 外国 境外服务器 海外服务器 国外服务器 港澳台 "  # noqa: SIM905 - readable
    "香港 澳门 台湾 台北 台中 台南 高雄 基隆 臺灣 臺北 "
    "新加坡 日本 东京 大阪 韩国 首尔 美国 洛杉矶 旧金山 硅谷 圣何塞 西雅图 纽约 弗吉尼亚 "
    "俄勒冈 达拉斯 芝加哥 加拿大 多伦多 温哥华 英国 伦敦 德国 法兰克福 法国 巴黎 荷兰 "
    "阿姆斯特丹 爱尔兰 都柏林 澳大利亚 悉尼 墨尔本 印度 孟买 泰国 曼谷 马来西亚 吉隆坡 "
    "印度尼西亚 印尼 雅加达 菲律宾 马尼拉 越南 胡志明市 河内 阿联酋 迪拜 俄罗斯 莫斯科 "
    "巴西 圣保罗 南非 约翰内斯堡 土耳其 伊斯坦布尔 瑞典 斯德哥尔摩 瑞士 苏黎世 意大利 米兰 "
    "西班牙 马德里 波兰 华沙 芬兰 赫尔辛基 以色列 沙特 利雅得 新西兰 奥克兰 蒙古 乌兰巴托 "
    "哈萨克斯坦 阿拉木图".split()
)
_OUTSIDE_SUFFIX = re.compile(r"(特别行政区|地区|省|市|州|国|服务器|机房)$")
# The same in English (compared without case, spaces or dots): the English chat's answers.
_OUTSIDE_LATIN = frozenset(
    "abroad overseas outsidechina outsidethemainland hongkong hk macau macao taiwan taipei "  # noqa: SIM905 - readable
    "singapore japan tokyo osaka korea seoul usa us unitedstates america losangeles "
    "sanfrancisco siliconvalley sanjose seattle newyork virginia oregon dallas chicago canada "
    "toronto vancouver uk unitedkingdom london germany frankfurt france paris netherlands "
    "amsterdam ireland dublin australia sydney melbourne india mumbai thailand bangkok "
    "malaysia kualalumpur indonesia jakarta philippines manila vietnam hanoi hochiminhcity "
    "uae dubai russia moscow brazil saopaulo southafrica johannesburg turkey istanbul "
    "sweden stockholm switzerland zurich italy milan spain madrid poland warsaw finland "
    "helsinki israel saudiarabia riyadh newzealand auckland mongolia ulaanbaatar".split()
)


def is_outside_mainland(text: str | None) -> bool:
    """Say whether a place someone named is outside the mainland (Hong Kong, Macao, Taiwan,
    abroad), where no 公安网安部门 takes a filing."""
    name = re.sub(r"[\s（）()]", "", text or "")
    if re.sub(r"[.\-']", "", name).lower() in _OUTSIDE_LATIN:
        return True
    while name and name not in _OUTSIDE:
        shorter = _OUTSIDE_SUFFIX.sub("", name)
        if shorter == name:
            break
        name = shorter
    if name in _OUTSIDE:
        return True
    # 美国洛杉矶, 日本东京, 香港九龙: a country or region, then a place in it (not a mainland
    # place that happens to begin so: none of the division table's names does).
    return any(name.startswith(o) for o in _OUTSIDE) and not is_known_place(name)


_STREET = re.compile(r"[路街道巷弄里村镇乡]")
_HAN = re.compile(r"[\u3400-\u9fff]")


def _ends_a_place(text: str, end: int, cities: frozenset[str]) -> bool:
    """Say whether a name ending at `end` stands alone: not 中山路, not 阿里云."""
    rest = text[end:]
    if not rest or not _HAN.match(rest[0]):
        return True
    if _STREET.match(rest[0]):
        return False
    return any(rest.startswith(name) for name in cities if len(name) >= 2)


def places_in(text: str) -> list[str]:
    """Return the provinces and cities an address names, in order (中山路 is not 中山)."""
    _names, _provinces, cities = _places()
    found: list[str] = []
    i = 0
    while i < len(text):
        match = next(
            (
                name
                for length in range(min(12, len(text) - i), 1, -1)
                if (name := text[i : i + length]) in cities
                and (name.endswith(_SUFFIXES) or _ends_a_place(text, i + length, cities))
                and not _STREET.match(text[i + length : i + length + 1])
            ),
            None,
        )
        if match is None:
            i += 1
            continue
        if match not in found:
            found.append(match)
        i += len(match)
    return found
