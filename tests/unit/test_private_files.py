"""Exports may hold health information: owner-only, never over a file or through a link."""

from __future__ import annotations

import os
import stat

import pytest

from bot.files import FileExists, write_private


def test_a_new_file_is_owner_only(tmp_path):
    target = tmp_path / "plan.md"
    write_private(target, b"plan")
    assert target.read_bytes() == b"plan"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_an_existing_file_is_kept_unless_forced(tmp_path):
    target = tmp_path / "plan.md"
    target.write_bytes(b"keep me")
    target.chmod(0o644)
    with pytest.raises(FileExists, match="--force"):
        write_private(target, b"new")
    assert target.read_bytes() == b"keep me"
    write_private(target, b"new", force=True)
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize("force", [False, True])
def test_a_symlink_is_never_followed(tmp_path, force):
    victim = tmp_path / "someone_elses_file"
    victim.write_bytes(b"theirs")
    link = tmp_path / "plan.md"
    os.symlink(victim, link)
    with pytest.raises(FileExists):
        write_private(link, b"plan", force=force)
    assert victim.read_bytes() == b"theirs"
