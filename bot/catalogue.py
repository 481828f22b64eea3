"""Every text the product says, gathered: one catalogue per language that a test can read.

Texts are defined beside the code that says them (`rules.text.t`, `dialogs/texts.py`,
`questions.yaml`); this walks every module of ours for the texts it defines at module level
(in dicts, tuples and records too) and the interview's questions, so a check can read them all.
Sentences made at run time from a template are found through their template.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Iterator

from rules.text import Lang, Text

PACKAGES = ("rules", "dialogs", "documents", "models", "bot")


def _texts_in(value: object, name: str) -> Iterator[tuple[str, Text]]:
    if isinstance(value, Text):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts_in(item, f"{name}[{key}]")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _texts_in(item, f"{name}[{index}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):  # a kind's record
        for found in dataclasses.fields(value):
            yield from _texts_in(getattr(value, found.name), f"{name}.{found.name}")


def catalogue() -> list[tuple[str, Text]]:
    """Return (where, text) for every text defined at module level and every question's."""
    found: dict[int, tuple[str, Text]] = {}
    for package in PACKAGES:
        root = importlib.import_module(package)
        for module_info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations" in module_info.name:
                continue
            module = importlib.import_module(module_info.name)
            for attr, value in vars(module).items():
                if attr == "BUTTON_LABELS":  # a registry of texts defined elsewhere
                    continue
                for where, text in _texts_in(value, f"{module_info.name}.{attr}"):
                    found.setdefault(id(text), (where, text))
    from dialogs.spec import load_spec
    from rules.pack import load_pack

    pack = load_pack("example")
    spec = load_spec(pack.city.zh, pack.city.en, tuple(s.value for s in pack.subject_types))
    for question in spec.questions:
        for attr in ("label", "prompt", "help"):
            value = getattr(question, attr, None)
            if isinstance(value, Text):
                found.setdefault(id(value), (f"questions.yaml:{question.id}.{attr}", value))
        for option in question.options:
            found.setdefault(id(option.label), (f"questions.yaml:{question.id}", option.label))
    return sorted(found.values(), key=lambda item: item[0])


def in_language(lang: Lang) -> dict[str, str]:
    """Return the catalogue of one language: where → the text."""
    return {where: text.get(lang) for where, text in catalogue()}
