"""The jurisdiction pack: everything city-specific, as one validated YAML file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rules.enums import PeriodKind, SubjectType
from rules.files import UnreadableFileError, load_yaml, read_text
from rules.text import Text

PACKS_DIR = Path(__file__).parent / "packs"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Bureau(_Strict):
    """This city's accepting bureau (网安部门)."""

    name: Text
    address: Text
    phone: str = Field(min_length=3)
    office_hours: Text


class Period(_Strict):
    """One clock of the procedure: N calendar or working days, with its source.

    `confirmed: false` marks a number the pack's author could not read in the city's notice
    (the shipped notice redacts the change-report period): documents then cite it as the
    city notice's period, to be confirmed, not as the law."""

    days: int = Field(gt=0, le=366)
    unit: Literal["calendar", "working"]
    basis: Text
    confirmed: bool = True


class Periods(_Strict):
    """Every clock the notice sets; the change-report N is redacted, so it is a setting."""

    filing: Period
    initial_review: Period
    materials: Period
    re_review: Period
    change_report: Period

    def of(self, kind: PeriodKind) -> Period:
        """Return the period for `kind`."""
        return {
            PeriodKind.FILING: self.filing,
            PeriodKind.INITIAL_REVIEW: self.initial_review,
            PeriodKind.MATERIALS: self.materials,
            PeriodKind.RE_REVIEW: self.re_review,
            PeriodKind.CHANGE: self.change_report,
        }[kind]


class Material(_Strict):
    """One item to bring to re-review."""

    item: Text
    copies: int = Field(ge=1, le=20)
    stamp: bool = False
    sign: bool = False
    note: Text | None = None
    # The person's own identity document (an individual's): named after the document they
    # filed with (a passport holder is not told to bring a resident ID card).
    identity: bool = False


class Materials(_Strict):
    """What each subject type brings (filing-rules.md A4); 社会团体 and 其他 only in a pack
    that takes them (`subject_types`)."""

    government: list[Material] = Field(min_length=1)
    enterprise: list[Material] = Field(min_length=1)
    individual: list[Material] = Field(min_length=1)
    social_org: list[Material] | None = None
    other: list[Material] | None = None

    def of(self, subject: SubjectType) -> list[Material]:
        """Return the list for `subject`."""
        found = getattr(self, subject.value)
        if found is None:
            raise KeyError(f"this pack has no materials for {subject.value}")
        return list(found)


class Penalty(_Strict):
    """A consequence quoted to users, with the article it rests on."""

    id: str
    text: Text
    basis: Text


class CalendarYear(_Strict):
    """A year's official schedule, for years the calendar library does not know yet."""

    holidays: list[dt.date] = Field(default_factory=list)
    workdays: list[dt.date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _disjoint(self) -> CalendarYear:
        both = set(self.holidays) & set(self.workdays)
        if both:
            days = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"dates listed both as holiday and as working day: {days}")
        return self


class Pack(_Strict):
    """A city's jurisdiction pack."""

    pack_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    example: bool = False
    city: Text
    bureau: Bureau
    filing_system_url: str = Field(pattern=r"^https?://\S+$")
    periods: Periods
    # Who may file here, in the order the interview offers them (the notice names three).
    subject_types: list[SubjectType] = Field(
        default=[SubjectType.GOVERNMENT, SubjectType.ENTERPRISE, SubjectType.INDIVIDUAL],
        min_length=1,
    )
    materials: Materials
    penalties: list[Penalty] = Field(min_length=1)
    calendar: dict[int, CalendarYear] = Field(default_factory=dict)
    # Other cities' packs installed beside this one (BEIAN_PACK_DIR): a second bureau of a
    # route is then named, and its procedure dated, from its own pack. Not read from YAML.
    neighbours: tuple[Pack, ...] = Field(default=(), exclude=True)

    @model_validator(mode="after")
    def _materials_for_every_subject(self) -> Pack:
        missing = [s.value for s in self.subject_types if getattr(self.materials, s.value) is None]
        if missing:
            raise ValueError(f"subject_types lists {', '.join(missing)} but materials has none")
        return self

    @model_validator(mode="after")
    def _calendar_years_match(self) -> Pack:
        for year, schedule in self.calendar.items():
            wrong = [d for d in schedule.holidays + schedule.workdays if d.year != year]
            if wrong:
                raise ValueError(f"calendar.{year} lists dates of another year: {wrong[0]}")
        return self

    def is_city(self, name: str | None) -> bool:
        """Say whether a city someone named is this pack's city (示例市, 示例, Example City)."""
        if not name:
            return False
        named = name.strip().removesuffix("市").lower()
        return named in {self.city.zh.removesuffix("市"), self.city.en.lower()}

    def pack_for(self, city: str | None) -> Pack | None:
        """Return the pack of a city: this one, an installed neighbour, or None."""
        if self.is_city(city):
            return self
        return next((p for p in self.neighbours if p.is_city(city)), None)

    def penalty(self, penalty_id: str) -> Penalty:
        """Return the penalty with `penalty_id`."""
        for p in self.penalties:
            if p.id == penalty_id:
                return p
        raise KeyError(penalty_id)


class PackError(Exception):
    """A pack that cannot be used; the message names the file, the key and the problem."""


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def resolve_pack_path(name_or_path: str, pack_dir: Path | None = None) -> Path:
    """Turn a pack name (`example`) or a file path into the YAML file's path: a name is looked
    for in `pack_dir` (BEIAN_PACK_DIR) first, then among the shipped packs."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists():
        return candidate
    if pack_dir is not None and (pack_dir / f"{name_or_path}.yaml").exists():
        return pack_dir / f"{name_or_path}.yaml"
    return PACKS_DIR / f"{name_or_path}.yaml"


def load_pack(name_or_path: str = "example", pack_dir: Path | None = None) -> Pack:
    """Read and validate the pack of this deployment's city, with every other pack in
    `pack_dir` as its neighbours; raise PackError with every problem found."""
    home = _load_one(resolve_pack_path(name_or_path, pack_dir))
    if pack_dir is None:
        return home
    if not pack_dir.is_dir():
        raise PackError(f"{pack_dir}: BEIAN_PACK_DIR is not a folder")
    others = [_load_one(path) for path in sorted(pack_dir.glob("*.yaml"))]
    neighbours = tuple(p for p in others if p.pack_id != home.pack_id)
    return home.model_copy(update={"neighbours": neighbours})


def _load_one(path: Path) -> Pack:
    if not path.exists() and not path.is_symlink():
        known = ", ".join(sorted(p.stem for p in PACKS_DIR.glob("*.yaml")))
        raise PackError(f"{path}: no such pack file (shipped packs: {known})")
    try:
        raw = load_yaml(read_text(path))
    except UnreadableFileError as exc:
        raise PackError(str(exc)) from exc
    except yaml.YAMLError as exc:
        raise PackError(f"{path}: not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise PackError(f"{path}: nested too deeply") from exc
    if not isinstance(raw, dict):
        raise PackError(f"{path}: the file must hold a mapping of keys, not {type(raw).__name__}")
    try:
        return Pack.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{path}: {exc.error_count()} problem(s)"]
        lines += [f"  - {_where(e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise PackError("\n".join(lines)) from exc
