"""Every message that tells people to press a button names one that exists (issue 25).

The product's sources (Python, the questions, the templates) are read for 点“…”, 选择“…”,
press “…” and the like; each quoted name must be a button label the code defines (through
`rules.text.button`) or an option of the interview's questions, in that language.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache
from pathlib import Path

import pytest

from dialogs.spec import load_spec
from rules.pack import load_pack
from rules.text import BUTTON_LABELS

ROOT = Path(__file__).parents[1]
PACKAGES = ("rules", "dialogs", "documents", "models", "bot")
QUOTED = re.compile(
    r"(?:点击|点|选择|按)“(?P<zh>[^”{}]{1,40})”|(?:press|choose|tap|pick) “(?P<en>[^”{}]{1,40})”"
)


def _import_everything() -> None:
    """Import every product module, so every module-level label is defined."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for found in pkgutil.walk_packages(module.__path__, f"{package}."):
            if ".migrations" not in found.name:
                importlib.import_module(found.name)


@cache
def _labels() -> tuple[set[str], set[str]]:
    _import_everything()
    zh = {label.zh for label in BUTTON_LABELS}
    en = {label.en for label in BUTTON_LABELS}
    pack = load_pack("example")
    spec = load_spec(pack.city.zh, pack.city.en, tuple(s.value for s in pack.subject_types))
    for question in spec.questions:
        for option in question.options:
            zh.add(option.label.zh)
            en.add(option.label.en)
    return zh, en


def _quotes() -> list[tuple[str, str, str]]:
    """Return (file, language, quoted name) for every quoted button in the sources."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix not in (".py", ".yaml", ".j2") or "migrations" in path.parts:
                continue
            for match in QUOTED.finditer(path.read_text(encoding="utf-8")):
                lang = "zh" if match.group("zh") else "en"
                found.append((str(path.relative_to(ROOT)), lang, match.group(lang)))
    return found


def test_the_sources_quote_buttons_at_all() -> None:
    """The scan finds what it looks for (a scan that finds nothing would pass anything)."""
    quoted = {name for _, _, name in _quotes()}
    assert {"确认无误", "保留原答案", "Keep"} <= quoted


@pytest.mark.parametrize(("where", "lang", "name"), _quotes())
def test_every_quoted_button_exists(where: str, lang: str, name: str) -> None:
    zh, en = _labels()
    known = zh if lang == "zh" else en
    assert name in known, f"{where} names a button “{name}” that no message carries"
