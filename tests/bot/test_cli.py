"""The `beian` CLI through typer's runner: JSON shapes, both languages, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def run_json(*args: str) -> object:
    code, out = run(*args, "--json")
    assert code == 0, out
    return json.loads(out)


@pytest.mark.parametrize(
    ("maintenance", "server", "in_scope", "wheres"),
    [
        ("local", "local", True, ["local"]),
        ("local", "elsewhere", True, ["local", "server"]),
        ("elsewhere", "local", True, ["maintenance", "local"]),
        ("elsewhere", "elsewhere", False, ["maintenance", "server"]),
    ],
)
def test_route_prints_the_documented_json(
    maintenance: str, server: str, in_scope: bool, wheres: list[str]
) -> None:
    data = run_json(
        "route", "--subject", "enterprise", "--maintenance", maintenance, "--server", server
    )
    assert isinstance(data, dict)
    assert set(data) == {"in_scope", "steps", "advice"}
    assert data["in_scope"] is in_scope
    assert [s["where"] for s in data["steps"]] == wheres
    assert [s["order"] for s in data["steps"]] == list(range(1, len(wheres) + 1))
    assert all(s["bureau"] for s in data["steps"])


def test_route_names_the_other_city_in_both_languages() -> None:
    args = (
        "route",
        "--subject",
        "individual",
        "--maintenance",
        "local",
        "--server",
        "elsewhere",
        "--server-city",
        "杭州",
    )
    zh = run_json(*args)
    en = run_json(*args, "--lang", "en")
    assert isinstance(zh, dict) and isinstance(en, dict)
    assert zh["steps"][1]["bureau"] == "服务器托管地（杭州）的公安网安部门"
    assert "杭州" in en["steps"][1]["bureau"] and "department" in en["steps"][1]["bureau"]
    code, text = run(*args)
    assert code == 0 and "备案地点" in text and "杭州" in text


@pytest.mark.parametrize("city", ["示例市", "示例", "Example City"])
def test_a_city_named_elsewhere_that_is_this_city_is_local(city: str) -> None:
    data = run_json(
        "route", "--subject", "enterprise", "--maintenance", "elsewhere",
        "--maintenance-city", city, "--server", "local",
    )  # fmt: skip
    assert isinstance(data, dict)
    assert [s["where"] for s in data["steps"]] == ["local"]  # not this city's bureau twice


def test_relative_dates_count_from_BEIAN_TODAY() -> None:
    env = {"BEIAN_TODAY": "2026-11-28"}
    code, out = run("check", "date", "昨天", "--json", env=env)
    assert code == 0 and json.loads(out)["normalized"] == "2026-11-27"
    code, out = run("deadline", "filing", "--from", "昨天", "--json", env=env)
    assert code == 0 and json.loads(out)["from"] == "2026-11-27"
    assert json.loads(out)["due"] == "2026-12-28"


def test_deadline_prints_the_documented_json() -> None:
    data = run_json("deadline", "filing", "--from", "2026-09-01")
    assert isinstance(data, dict)
    assert {"kind", "from", "due", "estimate", "rule", "basis"} <= set(data)
    assert data["kind"] == "filing" and data["from"] == "2026-09-01"
    assert data["due"] == "2026-10-08" and data["estimate"] is False
    assert "顺延" in data["rule"] and "第十二条" in data["basis"]


def test_deadline_in_an_unknown_year_is_flagged_in_both_languages() -> None:
    zh = run_json("deadline", "initial-review", "--from", "2026-12-28")
    en = run_json("deadline", "initial-review", "--from", "2026-12-28", "--lang", "en")
    assert isinstance(zh, dict) and isinstance(en, dict)
    assert zh["due"] == "2027-01-05" and zh["estimate"] is True and "估算" in zh["note"]
    assert "working days" in en["rule"] and "estimate" in en["note"]
    code, text = run("deadline", "initial-review", "--from", "2026年12月28日")
    assert code == 0 and "2027-01-05" in text and "估算" in text


def test_deadline_with_an_unreadable_date_is_a_usage_error() -> None:
    code, out = run("deadline", "filing", "--from", "2026-02-30")
    assert code == 2 and "不是有效日期" in out


@pytest.mark.parametrize("subject", ["government", "enterprise", "individual"])
def test_materials_prints_the_documented_json(subject: str) -> None:
    data = run_json("materials", "--subject", subject)
    assert isinstance(data, list) and len(data) == 4
    assert all({"item", "copies", "stamp"} <= set(item) for item in data)
    assert data[0]["copies"] == 2
    assert data[0]["stamp"] is (subject != "individual")


def test_materials_in_english_and_as_text() -> None:
    data = run_json("materials", "--subject", "enterprise", "--lang", "en")
    assert isinstance(data, list) and "business licence" in data[1]["item"]
    code, text = run("materials", "--subject", "enterprise")
    assert code == 0 and "2份" in text and "加盖公章" in text


def test_materials_name_the_identity_document_an_individual_files_with() -> None:
    code, text = run("materials", "--subject", "individual", "--id-type", "passport")
    assert code == 0 and "本人护照复印件" in text and "居民身份证" not in text
    code, text = run("materials", "--subject", "individual")
    assert code == 0 and "本人居民身份证复印件" in text


def test_check_exits_0_when_valid_1_when_not_2_on_usage_errors() -> None:
    code, out = run("check", "domain", "https://www.例子.中国/", "--json")
    assert code == 0
    assert json.loads(out) == {"valid": True, "normalized": "www.例子.中国", "error": None}

    code, out = run("check", "postcode", "1000", "--json", "--lang", "en")
    data = json.loads(out)
    assert code == 1 and data["valid"] is False and data["normalized"] is None
    assert "6 digits" in data["error"]

    code, out = run("check", "postcode", "1000")
    assert code == 1 and "6位数字" in out

    assert run("check", "passport", "E1234")[0] == 2
    assert run("check", "domain")[0] == 2


@pytest.mark.parametrize(
    "field",
    [
        "uscc",
        "id-card",
        "org-code",
        "icp",
        "psb-number",
        "phone",
        "domain",
        "ip",
        "email",
        "postcode",
        "date",
    ],
)
def test_every_documented_field_is_checkable(field: str) -> None:
    code, out = run("check", field, "???", "--json")
    assert code == 1 and json.loads(out)["error"]


def test_db_upgrade_migrates_the_database_in_DATABASE_URL(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    code, out = run("db", "upgrade", env={"DATABASE_URL": url})
    assert code == 0, out
    engine = sa.create_engine(url)
    assert "filing" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_a_broken_pack_is_reported_not_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "city.yaml"
    broken.write_text("pack_id: city\n", encoding="utf-8")
    code, out = run("materials", "--subject", "enterprise", env={"BEIAN_PACK": str(broken)})
    assert code == 2 and "bureau" in out and "Traceback" not in out
    code, out = run("pack", "check", str(broken))
    assert code == 1 and "Field required" in out
    code, out = run("pack", "check", "example")
    assert code == 0 and "EXAMPLE" in out


def test_serve_imports_the_bot_without_passport_cryptography() -> None:
    """PTB loads `cryptography` (~8 MB resident) for Telegram Passport whenever it is
    installed; `beian serve` reads no Passport data and keeps it out (issue 16's memory)."""
    code = (
        "import sys\n"
        "from bot.cli_serve import _no_passport_crypto\n"
        "with _no_passport_crypto():\n"
        "    import bot.tg.serving\n"
        "from telegram._passport import credentials\n"
        "print('cryptography' in sys.modules, credentials.CRYPTO_INSTALLED)\n"
        "import cryptography\n"  # and it imports as usual afterwards
        "print('cryptography' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "True"]


def test_remind_asks_for_one_way_and_says_both_is_not_it(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}
    code, out = run("remind", env=env)
    assert code == 2 and "give --once or --dry-run" in out and "not both" not in out
    code, out = run("remind", "--once", "--dry-run", env=env)
    assert code == 2 and "give --once or --dry-run, not both" in out


def test_route_refuses_a_city_it_does_not_know_as_the_interview_does() -> None:
    """`route --server-city` took any text and named a bureau after it (「火星市」)."""
    code, out = run(
        "route", "--subject", "enterprise", "--maintenance", "local",
        "--server", "elsewhere", "--server-city", "火星市",
    )  # fmt: skip
    assert code == 2 and "没有找到“火星市”这个城市" in out and "--server-city" in out
    data = run_json(
        "route", "--subject", "enterprise", "--maintenance", "local",
        "--server", "elsewhere", "--server-city", "Singapore",
    )  # fmt: skip
    assert isinstance(data, dict) and len(data["steps"]) == 1  # abroad: no second bureau
