"""The jurisdiction pack: the shipped example loads; broken packs say where and what."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rules.enums import SubjectType
from rules.materials import materials_for
from rules.pack import PACKS_DIR, PackError, load_pack


def _example() -> dict[str, object]:
    data = yaml.safe_load((PACKS_DIR / "example.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_example_pack_holds_the_notices_rules_and_says_it_is_an_example() -> None:
    pack = load_pack("example")
    assert pack.example is True
    assert "示例" in pack.bureau.name.zh and "EXAMPLE" in pack.bureau.name.en
    assert (pack.periods.filing.days, pack.periods.filing.unit) == (30, "calendar")
    assert (pack.periods.initial_review.days, pack.periods.initial_review.unit) == (5, "working")
    assert (pack.periods.materials.days, pack.periods.materials.unit) == (5, "working")
    assert (pack.periods.re_review.days, pack.periods.re_review.unit) == (3, "working")
    assert pack.periods.change_report.days == 30
    assert pack.bureau.phone.endswith("5047")


@pytest.mark.parametrize("subject", list(SubjectType))
def test_every_subject_brings_four_items_with_two_copies_of_the_form(subject: SubjectType) -> None:
    items = materials_for(subject, load_pack("example"))
    assert len(items) == 4
    assert items[0].copies == 2 and "备案表" in items[0].item.zh
    assert "告知书" in items[3].item.zh
    organisation = subject is not SubjectType.INDIVIDUAL
    assert items[0].stamp is organisation and items[3].stamp is organisation
    assert items[1].stamp is organisation


@pytest.mark.parametrize(
    ("id_type", "named"),
    [
        (None, "本人居民身份证复印件"),
        ("resident_id", "本人居民身份证复印件"),
        ("passport", "本人护照复印件"),
        ("hk_macao_permit", "本人港澳居民来往内地通行证复印件"),
        ("tw_permit", "本人台湾居民来往大陆通行证复印件"),
        ("foreign_permanent", "本人外国人永久居留身份证复印件"),
    ],
)
def test_an_individual_brings_a_copy_of_the_document_they_filed_with(
    id_type: str | None, named: str
) -> None:
    pack = load_pack("example")
    items = materials_for(SubjectType.INDIVIDUAL, pack, id_type)
    assert [i.item.zh for i in items].count(named) == 1
    assert len(items) == 4 and items[1].sign
    assert all("居民身份证" not in i.item.zh for i in items) is (named != "本人居民身份证复印件")
    # a unit's list does not change with a person's document
    assert materials_for(SubjectType.ENTERPRISE, pack, id_type) == materials_for(
        SubjectType.ENTERPRISE, pack
    )


def test_not_filing_is_punished_by_warning_or_shutdown_and_never_a_fine() -> None:
    penalty = load_pack("example").penalty("not_filing")
    assert "警告" in penalty.text.zh and "六个月" in penalty.text.zh
    assert "不处罚款" in penalty.text.zh and "no fine" in penalty.text.en
    assert "第二十三条" in penalty.basis.zh


def test_a_pack_can_be_loaded_by_path(tmp_path: Path) -> None:
    data = _example()
    data["pack_id"] = "mycity"
    assert load_pack(str(_write(tmp_path, data))).pack_id == "mycity"


def test_a_missing_key_names_the_file_and_the_key(tmp_path: Path) -> None:
    data = _example()
    del data["bureau"]["phone"]  # type: ignore[attr-defined]
    path = _write(tmp_path, data)
    with pytest.raises(PackError) as err:
        load_pack(str(path))
    message = str(err.value)
    assert str(path) in message
    assert "bureau.phone" in message
    assert "Field required" in message


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    data = _example()
    data["periods"]["filing"]["unit"] = "weeks"  # type: ignore[index]
    data["periods"]["materials"]["days"] = 0  # type: ignore[index]
    data["materials"]["individual"] = []  # type: ignore[index]
    data["surprise"] = 1
    message = str(_error(tmp_path, data))
    assert "4 problem(s)" in message
    for where in (
        "periods.filing.unit",
        "periods.materials.days",
        "materials.individual",
        "surprise",
    ):
        assert where in message


def test_calendar_overrides_must_be_of_their_year_and_not_contradict(tmp_path: Path) -> None:
    data = _example()
    data["calendar"] = {2027: {"holidays": ["2028-01-01"]}}
    assert "another year" in str(_error(tmp_path, data))
    data["calendar"] = {2027: {"holidays": ["2027-01-02"], "workdays": ["2027-01-02"]}}
    assert "both as holiday and as working day" in str(_error(tmp_path, data))


def test_a_day_the_calendar_has_not_is_a_problem_listed_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text("calendar: {2027: {holidays: [2027-02-30]}}\n", encoding="utf-8")
    with pytest.raises(PackError) as raised:
        load_pack(str(path))
    assert "calendar.2027.holidays.0" in str(raised.value) and "city" in str(raised.value)


def test_unreadable_files_give_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PackError, match=r"no such pack file.*example"):
        load_pack("atlantis")
    broken = tmp_path / "broken.yaml"
    broken.write_text("city: [unclosed", encoding="utf-8")
    with pytest.raises(PackError, match="not valid YAML"):
        load_pack(str(broken))
    broken.write_text("- a list", encoding="utf-8")
    with pytest.raises(PackError, match="mapping"):
        load_pack(str(broken))


def _error(tmp_path: Path, data: object) -> PackError:
    with pytest.raises(PackError) as err:
        load_pack(str(_write(tmp_path, data)))
    return err.value
