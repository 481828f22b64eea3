"""Every `beian` verb that takes a path, given one that cannot be used (issue 26 item 6): one
line on stderr and exit 1 — no traceback, no hang on an endless device or a FIFO."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.fakes.driver import BEIAN

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "individual.yaml"


@pytest.fixture
def place(tmp_path: Path) -> Path:
    """A folder with a file, a sub-folder, a FIFO, a 2 MB file and a file that is not UTF-8."""
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "big.yaml").write_bytes(b"reason: x\n" + b"#" * (1024 * 1024 + 10) + b"\n")
    (tmp_path / "latin1.yaml").write_bytes("reason: caf\xe9\n".encode("latin-1"))
    return tmp_path


def beian(place: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{place / 'db' / 'beian.db'}",
        "BEIAN_TODAY": "2026-11-30",
        "BEIAN_DATA_DIR": str(place / "data"),
    }
    return subprocess.run(
        [str(BEIAN), *args],
        cwd=place,
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=60,  # an endless read or a FIFO's open would hang here
        check=False,
    )


def _one_line(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


CHANGE_FILES = [
    ("/dev/zero", "not a regular file"),
    ("/dev/urandom", "not a regular file"),
    ("fifo", "not a regular file"),
    ("folder", "is a folder"),
    ("missing.yaml", "no such file"),
    ("big.yaml", "larger than 1 MB"),
    ("latin1.yaml", "not UTF-8"),
]


@pytest.mark.parametrize(("path", "why"), CHANGE_FILES, ids=[p for p, _ in CHANGE_FILES])
def test_filings_change_with_a_file_it_cannot_read(place: Path, path: str, why: str) -> None:
    _one_line(beian(place, "filings", "change", "1", "--file", path), path, why)


@pytest.mark.parametrize(
    ("path", "why"),
    [("/dev/zero", "not a regular file"), ("fifo", "not a regular file"),
     ("folder", "is a folder"), ("missing.yaml", "no such file"), ("big.yaml", "larger than")],
)  # fmt: skip
def test_render_with_answers_or_a_change_it_cannot_read(place: Path, path: str, why: str) -> None:
    _one_line(beian(place, "render", "--answers", path, "--out", "out"), path, why)
    done = beian(place, "render", "--answers", str(EXAMPLE), "--change", path, "--out", "out")
    _one_line(done, path, why)
    assert not (place / "out").exists()


def test_render_with_answers_holding_an_impossible_date_lists_it(place: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("2026-11-25", "2026-02-30")
    (place / "answers.yaml").write_text(text, encoding="utf-8")
    done = beian(place, "render", "--answers", "answers.yaml", "--out", "out")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "connection_date" in done.stderr + done.stdout
    assert not (place / "out").exists()


OUT_FOLDERS = [
    ("afile", "exists and is not a folder"),
    ("afile/below", "is not a folder"),
    ("/proc/self", "cannot write"),  # the kernel's process filesystem: even root cannot
    ("/proc/self/new", "cannot write"),
]


@pytest.mark.parametrize(("out", "why"), OUT_FOLDERS, ids=[o for o, _ in OUT_FOLDERS])
def test_every_out_folder_that_cannot_take_files(place: Path, out: str, why: str) -> None:
    _one_line(beian(place, "filings", "export", "1", "--out", out), out, why)
    _one_line(beian(place, "render", "--answers", str(EXAMPLE), "--out", out), out, why)
    _one_line(beian(place, "chat", "--out", out, "--as", "p"), out, why)
    _one_line(beian(place, "diagrams", "--out", out), out, why)


@pytest.mark.parametrize("path", ["/dev/zero", "fifo", "folder"])
def test_pack_check_of_a_path_it_cannot_read(place: Path, path: str) -> None:
    _one_line(beian(place, "pack", "check", path), path)


def test_a_setting_out_of_range_is_one_line_naming_it(place: Path) -> None:
    env = {**os.environ, "BEIAN_WEBHOOK_TIMEOUT": "-1", "DATABASE_URL": "sqlite://"}
    done = subprocess.run(
        [str(BEIAN), "materials", "--subject", "enterprise"],
        cwd=place,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "BEIAN_WEBHOOK_TIMEOUT: Input should be greater than 0"


@pytest.mark.parametrize(
    "verb",
    [
        ("remind", "--dry-run"),
        ("filings", "cancel", "1", "--reason", "x"),
        ("chat", "--as", "p"),
        ("materials", "--subject", "enterprise"),
    ],
    ids=["remind", "filings-cancel", "chat", "materials"],
)
def test_a_pack_path_that_cannot_be_read_is_one_line_and_exit_2(
    place: Path, verb: tuple[str, ...]
) -> None:
    env = {**os.environ, "BEIAN_PACK": "/dev/zero", "DATABASE_URL": f"sqlite:///{place / 'x.db'}"}
    done = subprocess.run(
        [str(BEIAN), *verb],
        cwd=place,
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == "/dev/zero: not a regular file (a device, FIFO or socket)"


def _without_key(environ: Mapping[str, str], env: Mapping[str, str]) -> dict[str, str]:
    """The environment, without the tests' data key when a key file is what is tried."""
    if "BEIAN_KEY_FILE" not in env:
        return dict(environ)
    return {k: v for k, v in environ.items() if k != "BEIAN_DATA_KEY"}


def _with(place: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BEIAN), *args],
        cwd=place,
        env={**_without_key(os.environ, env), "BEIAN_DATA_DIR": str(place / "data"), **env},
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("sqlite:///{place}/folder", "not a database file"),
        ("sqlite:///{place}/fifo", "not a database file"),
        ("sqlite:///{place}/afile", "file is not a database"),
        ("foo://x", "DATABASE_URL is not a database URL"),
        ("notaurl", "DATABASE_URL is not a database URL"),
        ("postgresql://someone:secretpw@127.0.0.1:1/x", "the database cannot be used"),
    ],
    ids=["folder", "fifo", "text-file", "scheme", "not-a-url", "unreachable"],
)
def test_a_database_url_that_cannot_be_used_is_one_line(place: Path, url: str, why: str) -> None:
    """A mistyped DATABASE_URL was a traceback (and a folder or device it named was chmod-ed
    to 0600 first); the password of a URL is never printed."""
    folder_mode = (place / "folder").stat().st_mode
    (place / "afile").write_text("not a database, " * 200, encoding="utf-8")
    done = _with(place, {"DATABASE_URL": url.format(place=place)}, "filings", "list")
    _one_line(done, why)
    assert "secretpw" not in done.stderr
    assert (place / "folder").stat().st_mode == folder_mode


@pytest.mark.parametrize(("path", "why"), [("/dev/zero", "not a regular file"),
                                           ("fifo", "not a regular file"),
                                           ("folder", "is a folder")])  # fmt: skip
def test_a_key_file_that_is_not_a_file_is_refused_not_read_for_ever(
    place: Path, path: str, why: str
) -> None:
    """BEIAN_KEY_FILE=/dev/zero was read without end (gigabytes in seconds); a FIFO hung."""
    env = {"DATABASE_URL": f"sqlite:///{place / 'k.db'}", "BEIAN_KEY_FILE": path}
    _one_line(_with(place, env, "filings", "list"), "the key file cannot be read", why)


@pytest.mark.parametrize(
    "verb",
    [
        ("filings", "show", "99999999999999999999999"),
        ("reviewers", "remove", "9223372036854775808"),
    ],
    ids=["filings-show", "reviewers-remove"],
)
def test_an_id_too_large_for_the_database_is_one_line(place: Path, verb: tuple[str, ...]) -> None:
    done = _with(place, {"DATABASE_URL": f"sqlite:///{place / 'n.db'}"}, *verb)
    _one_line(done, "too large")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BEIAN_REVIEWERS", "55,abc"),
        ("BEIAN_SEND_RATE", "-5"),
        ("BEIAN_REMIND_EVERY", "0"),
        ("BEIAN_BOT_USERNAME", "my bot!"),  # printed t.me links that open nothing
        ("BEIAN_BOT_USERNAME", "@beian_helper"),  # a bot's username ends in "bot"
        ("BEIAN_CONSOLE_URL", "desk.example.cn"),  # sign-in links with no scheme
    ],
)
def test_a_reviewer_list_or_a_pace_that_is_no_number_stops_with_one_line(
    place: Path, name: str, value: str
) -> None:
    """BEIAN_REVIEWERS=abc was ignored without a word: no reviewer card went anywhere."""
    env = {name: value, "DATABASE_URL": f"sqlite:///{place / 's.db'}"}
    done = _with(place, env, "reviewers", "list")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{name}:"), lines


def test_a_bot_username_with_its_at_sign_and_a_login_link_s_base_url_are_checked(
    place: Path,
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{place / 'u.db'}", "BEIAN_BOT_USERNAME": "@BeianHelperBot"}
    done = _with(place, env, "reviewers", "invite")
    assert done.returncode == 0 and "https://t.me/BeianHelperBot?start=review-" in done.stdout
    added = _with(place, env, "reviewers", "add", "55", "--name", "王")
    assert added.returncode == 0, added.stderr
    done = _with(place, env, "reviewers", "login-link", "55", "--base-url", "desk.example.cn")
    assert done.returncode == 2 and "not a web address" in done.stderr
    assert "Traceback" not in done.stderr and "valid for" not in done.stdout
