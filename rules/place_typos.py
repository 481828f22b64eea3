"""The places a mistyped name most likely means (航州 → 杭州), from the division table.

Chinese is typed by sound, so a wrong place name is mostly a homophone (航 for 杭) or one
character off. A name is compared by its characters and their readings (`data/readings.txt`,
toneless pinyin, every reading): the same character costs 0, a homophone 0.2, a near sound of
the main readings (the same final, or z/zh-like initials) 0.4–0.6, any other character, or one
missing or extra, 1. Names within
1 of what was typed are suggested, the closest first (then cities before counties, current
before former names, then the table's order), at most four, and none worse than the best by
more than half a character.

Precomputed once (~0.1 s and ~4 MB, at the first refusal): each name's main readings, whole and
with one syllable dropped, as keys, so a lookup scores only the names one edit away (tens to a
few hundred, 0.1–0.7 ms), not 5,000.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rules.places import divisions, short_name

READINGS = Path(__file__).parent / "data" / "readings.txt"
_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q",
             "x", "r", "z", "c", "s", "y", "w")  # fmt: skip
_NEAR_INITIALS = {
    frozenset(p)
    for p in (("z", "zh"), ("c", "ch"), ("s", "sh"), ("n", "l"), ("f", "h"), ("r", "l"))
}
_NEAR_FINALS = {
    frozenset(p)
    for p in (("an", "ang"), ("en", "eng"), ("in", "ing"), ("ian", "iang"), ("uan", "uang"))
}
_HAN = re.compile(r"^[\u3400-\u9fff\U00020000-\U0003134f]+$")
LIMIT = 4


@dataclass(frozen=True)
class _Place:
    core: str  # the name without its suffix (杭州), compared with what was typed
    names: tuple[str, ...]  # its full names (杭州市), for a suggestion with the typed suffix
    province: str  # the province's code (two digits)
    rank: tuple[int, int, int]  # province/city before county, current before former, order


@lru_cache(maxsize=2048)
def _split(syllable: str) -> tuple[str, str]:
    initial = next((i for i in _INITIALS if syllable.startswith(i)), "")
    return initial, syllable[len(initial) :]


@lru_cache(maxsize=65536)
def _near(a: str, b: str) -> float:
    """Return how far two syllables sound apart (0 the same, 1 unrelated)."""
    if a == b:
        return 0.0
    (ia, fa), (ib, fb) = _split(a), _split(b)
    if fa == fb:
        return 0.4 if ia == ib or frozenset((ia, ib)) in _NEAR_INITIALS else 0.6
    if ia == ib and frozenset((fa, fb)) in _NEAR_FINALS:
        return 0.4
    return 1.0


@lru_cache(maxsize=1)
def _readings() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for line in READINGS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            char, *readings = line.split()
            table[char] = tuple(readings)
    return table


def _sounds(text: str) -> tuple[str, ...]:
    """Each character's main reading (the character itself where none is known)."""
    readings = _readings()
    return tuple(readings.get(c, (c,))[0] for c in text)


def _keys(sounds: tuple[str, ...]) -> list[tuple[str, int]]:
    """The readings (-1), and the readings with syllable i dropped (i): names one edit apart
    share one of these keys."""
    keys = [(" ".join(sounds), -1)]
    keys += [(" ".join(sounds[:i] + sounds[i + 1 :]), i) for i in range(len(sounds))]
    return keys


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, list[tuple[_Place, int]]], dict[str, str]]:
    """Return (places by key, with the syllable their key dropped; province codes by name)."""
    cores: dict[str, tuple[list[str], str, tuple[int, int, int]]] = {}
    provinces: dict[str, str] = {}
    for division in divisions():
        name = division.name
        if division.is_province:
            provinces[name] = provinces[short_name(name)] = division.province
        core = short_name(name)
        if len(core) < 2 or not _HAN.match(core):
            continue
        rank = (int(not division.city), int(division.former), division.order)
        names, where, best = cores.setdefault(core, ([], division.province, rank))
        names.append(name)
        cores[core] = (names, where, min(best, rank))
    index: dict[str, list[tuple[_Place, int]]] = defaultdict(list)
    for core, (names, where, rank) in cores.items():
        place = _Place(core, tuple(names), where, rank)
        for key, dropped in _keys(_sounds(core)):
            index[key].append((place, dropped))
    return dict(index), provinces


@lru_cache(maxsize=65536)
def _change(a: str, b: str) -> float:
    """Return what writing `a` for `b` costs: 0 the same, 0.2 a homophone, up to 1."""
    if a == b:
        return 0.0
    readings = _readings()
    ra, rb = readings.get(a, ()), readings.get(b, ())
    if set(ra) & set(rb):
        return 0.2  # the commonest slip of a pinyin keyboard
    return _near(ra[0], rb[0]) if ra and rb else 1.0  # near: by the main readings only


def _aligned(typed: str, name: str) -> float:
    return sum(_change(a, b) for a, b in zip(typed, name, strict=True))


def _cost(typed: str, mine: int, place: str, theirs: int) -> float | None:
    """Return the cost of `typed` for `place`, given the syllable each key dropped (-1: none);
    None when they are more than one edit apart."""
    if mine == theirs:  # the same length: a change at that place, if any
        return _aligned(typed, place)
    if mine == -1:  # the place has one character more
        return 1 + _aligned(typed, place[:theirs] + place[theirs + 1 :])
    if theirs == -1:  # the typed name has one character more
        return 1 + _aligned(typed[:mine] + typed[mine + 1 :], place)
    return None


def closest_places(text: str, limit: int = LIMIT) -> list[str]:
    """Return the known places a mistyped name most likely means, the likeliest first."""
    name = re.sub(r"\s", "", text)
    index, provinces = _index()
    prefix, within = "", None
    for province in sorted(provinces, key=len, reverse=True):  # 浙江航州: search in 浙江
        if name.startswith(province) and len(name) - len(province) >= 2:
            prefix, within, name = province, provinces[province], name[len(province) :]
            break
    core = short_name(name)
    suffix = name[len(core) :]
    if not 2 <= len(core) <= 12 or not _HAN.match(core):
        return []
    scored: dict[str, tuple[float, tuple[int, int, int], str]] = {}
    for key, mine in _keys(_sounds(core)):
        for place, theirs in index.get(key, ()):
            if place.core == core or (within is not None and place.province != within):
                continue
            cost = _cost(core, mine, place.core, theirs)
            if cost is not None and cost <= 1.0 and cost < scored.get(place.core, (2.0,))[0]:
                shown = next((n for n in place.names if suffix and n == place.core + suffix), None)
                scored[place.core] = (cost, place.rank, prefix + (shown or place.core))
    if not scored:
        return []
    best = min(cost for cost, _, _ in scored.values())
    ranked = sorted(v for v in scored.values() if v[0] <= best + 0.5)
    return [shown for _, _, shown in ranked[:limit]]
