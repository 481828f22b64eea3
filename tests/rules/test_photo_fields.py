"""Reading a licence's and an ID card's fields from recognised text lines (pure)."""

from __future__ import annotations

from rules.photo_fields import (
    TextLine,
    checked,
    checked_id_number,
    detect_kind,
    read_fields,
    repair_uscc,
    rows_of,
)

CODE = "91350100M000100Y43"  # its check character validates


def _line(text: str, y: float, x: float = 100.0) -> TextLine:
    return TextLine(text, 0.95, x, y, 30.0, x - 20)


def test_an_exact_code_is_taken_and_letters_a_code_never_uses_are_repaired() -> None:
    assert repair_uscc(CODE) == CODE
    assert repair_uscc("9135O1OOM0OO1OOY43") == CODE  # O read for 0
    assert repair_uscc("913501OOMOOO1OOY43".lower()) == CODE
    assert repair_uscc("9I350100M000100Y43") == CODE  # I read for 1


def test_a_code_that_does_not_validate_is_not_guessed() -> None:
    # One character misread as another valid one: some single change would validate, but
    # "the one candidate that validates" picks wrong codes; it is asked instead.
    assert repair_uscc("91350100M000100Y44") is None
    assert repair_uscc("91350100M000I00Y44") is None  # a repair that still does not validate
    assert repair_uscc("91350100M000100Y4") is None  # 17 characters


def test_an_id_number_is_taken_only_when_its_check_digit_validates() -> None:
    assert checked_id_number("公民身份号码 11010519491231002X") == "11010519491231002X"
    assert checked_id_number("11010519491231002x") == "11010519491231002X"
    assert checked_id_number("110105194912310021") is None
    assert checked_id_number("11O10519491231002X") is None  # no repair of ID numbers


def test_rows_are_grouped_by_height_and_read_left_to_right() -> None:
    rows = rows_of([_line("张三", 100, 300), _line("姓名", 102, 100), _line("性别", 180)])
    assert [[ln.text for ln in row] for row in rows] == [["姓名", "张三"], ["性别"]]


def test_a_licence_is_read_with_its_wrapped_address() -> None:
    lines = [
        _line("营业执照", 40),
        _line(f"统一社会信用代码 {CODE}", 100),
        _line("名 称", 160), _line("福州云帆网络科技有限公司", 160, 400),
        _line("类 型", 220), _line("有限责任公司（自然人投资或控股）", 220, 400),
        _line("法定代表人", 280), _line("张三", 280, 400),
        _line("住 所", 340), _line("福建省福州市鼓楼区", 340, 400),
        _line("五四路100号", 400, 400),
        _line("成立日期", 460), _line("2020年05月12日", 460, 400),
    ]  # fmt: skip
    reading = read_fields(lines)
    assert reading is not None and reading.kind == "business_license"
    assert reading.fields == {
        "uscc": CODE,
        "name": "福州云帆网络科技有限公司",
        "legal_representative": "张三",
        "address": "福建省福州市鼓楼区五四路100号",
        "type": "有限责任公司（自然人投资或控股）",
        "established": "2020-05-12",
    }


def test_an_id_card_is_read_and_its_kind_detected() -> None:
    lines = [
        _line("姓名 林小雨", 60),
        _line("性别 女", 120), _line("民族 汉", 120, 300),
        _line("出生 1949 年 12 月 31 日", 180),
        _line("住址 北京市朝阳区", 240), _line("建国路1号", 290),
        _line("公民身份号码 11010519491231002X", 380),
    ]  # fmt: skip
    assert detect_kind(lines) == "id_card"
    reading = read_fields(lines)
    assert reading is not None
    assert reading.fields == {
        "name": "林小雨",
        "sex": "女",
        "ethnicity": "汉",
        "birth": "1949-12-31",
        "address": "北京市朝阳区建国路1号",
        "id_number": "11010519491231002X",
    }


def test_text_of_neither_document_is_none() -> None:
    assert read_fields([_line("今天天气很好", 10)]) is None


def test_a_two_column_licence_is_split_at_its_labels_and_spaced_labels_joined() -> None:
    # Since 2014 a licence has two columns; a label printed spaced out (类 型) may be read as
    # two pieces, and a column's address wraps under its own value only.
    lines = [
        _line("统一社会信用代码", 100), _line(CODE, 150),
        _line("名称", 300), _line("示例星河软件开发有限公司", 300, 400),
        _line("注册资本", 300, 1000), _line("壹佰万元整", 300, 1250),
        _line("类", 400), _line("型", 400, 160), _line("股份有限公司（非上市）", 400, 400),
        _line("成立日期", 400, 1000), _line("2009年05月18日", 400, 1250),
        _line("经营范围", 500), _line("软件开发；信息技术咨询服务；", 500, 400),
        _line("住所", 500, 1000), _line("广东省深圳市南山区建设大道13", 500, 1250),
        _line("数据处理服务。", 550, 400), _line("2号23层", 550, 1250),
    ]  # fmt: skip
    reading = read_fields(lines)
    assert reading is not None
    assert reading.fields["name"] == "示例星河软件开发有限公司"
    assert reading.fields["type"] == "股份有限公司（非上市）"
    assert reading.fields["established"] == "2009-05-18"
    assert reading.fields["address"] == "广东省深圳市南山区建设大道132号23层"
    assert reading.fields["uscc"] == CODE


def test_an_id_cards_back_gives_its_issuer_and_validity_and_its_kind_is_detected() -> None:
    lines = [
        _line("中华人民共和国", 100, 500),
        _line("居民身份证", 220, 500),
        _line("签发机关", 480, 290),
        _line("福州市公安局鼓楼分局", 480, 560),
        _line("有效期限", 570, 290),
        _line("2016.03.01-2036.03.01", 570, 560),
    ]
    assert detect_kind(lines) == "id_card_back"
    reading = read_fields(lines)
    assert reading is not None and reading.kind == "id_card_back"
    assert reading.fields == {
        "issuer": "福州市公安局鼓楼分局",
        "valid_from": "2016-03-01",
        "valid_until": "2036-03-01",
    }
    assert checked(reading, "valid_until") and checked(reading, "valid_from")
    assert reading.as_json()["kind"] == "id_card_back"


def test_a_validity_is_read_as_printed_or_misread_and_never_as_an_impossible_date() -> None:
    def validity(text: str) -> tuple[str | None, str | None]:
        reading = read_fields([_line("签发机关 某市公安局", 100), _line(text, 200)])
        assert reading is not None
        return reading.fields["valid_from"], reading.fields["valid_until"]

    assert validity("有效期限 2016.03.01-长期") == ("2016-03-01", "长期")
    assert validity("有效期限2016,03.01一2026.03.01") == ("2016-03-01", "2026-03-01")
    assert validity("有效期限 20160301-20260301") == ("2016-03-01", "2026-03-01")
    assert validity("有效期限 2016.02.30-2026.02.30") == (None, None)  # no such day
    assert validity("有效期限 2026.03.01-2016.03.01") == (None, None)  # ends before it starts
    assert validity("有效期限 2016.03.01") == (None, None)  # its end not read


def test_a_validity_not_issued_as_such_is_returned_without_its_check() -> None:
    reading = read_fields([_line("有效期限 2016.03.01-2027.03.01", 100)])
    assert reading is not None and reading.fields["valid_until"] == "2027-03-01"
    assert not checked(reading, "valid_until")  # 11 years: a card is issued for 5, 10 or 20
