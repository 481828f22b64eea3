"""Files the CLI and the terminal chat write (documents, exports) are the owner's alone, even
where a file of another mode or a symbolic link was before."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.files import write_private


def test_a_file_there_before_is_replaced_whole_and_made_the_owners(tmp_path: Path) -> None:
    path = tmp_path / "表.pdf"
    path.write_bytes(b"old, longer than the new content")
    path.chmod(0o644)
    write_private(path, b"%PDF")
    assert path.read_bytes() == b"%PDF" and path.stat().st_mode & 0o777 == 0o600


def test_a_link_there_is_replaced_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "victim.txt"
    target.write_text("keep", encoding="utf-8")
    path = tmp_path / "out.json"
    path.symlink_to(target)
    write_private(path, b"{}")
    assert not path.is_symlink() and path.read_bytes() == b"{}"
    assert target.read_text(encoding="utf-8") == "keep"


def test_a_folder_in_the_way_is_an_error_and_nothing_is_left_aside(tmp_path: Path) -> None:
    (tmp_path / "doc.pdf").mkdir()
    with pytest.raises(OSError):
        write_private(tmp_path / "doc.pdf", b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.pdf"]
