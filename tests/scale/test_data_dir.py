"""A data directory the app cannot write in, or cannot create: ``comptoir serve`` and ``comptoir db
upgrade`` stop at once with one line naming it, and a non-zero status, not a traceback.

Run as real commands. Read-only means what an operator meets: a read-only mount when the test runs
as root (for root, permission bits do not stop a write), the directory's write permission taken
away otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import ROOT, free_port
from tests.scale.mounts import remount_read_only, tmpfs

TIMEOUT = 120  # a command that started serving instead of refusing would run until this


def _comptoir(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMPTOIR_")}
    env["COMPTOIR_DATA_DIR"] = str(data_dir)
    command = [sys.executable, "-m", "backend.cli", *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def _assert_refused(done: subprocess.CompletedProcess[str], directory: Path, reason: str) -> None:
    assert done.returncode != 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(directory) in lines[0]
    assert reason in lines[0]


@pytest.fixture
def read_only_data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory holding a migrated database and its secret key, that cannot be written."""
    if os.geteuid() == 0:
        with tmpfs(tmp_path / "disk", 16) as mount:
            data_dir = mount / "data"
            assert _comptoir(data_dir, "db", "upgrade").returncode == 0
            remount_read_only(mount)
            yield data_dir
        return
    data_dir = tmp_path / "data"
    assert _comptoir(data_dir, "db", "upgrade").returncode == 0
    data_dir.chmod(0o555)
    try:
        yield data_dir
    finally:
        data_dir.chmod(0o755)


def _command(name: str) -> list[str]:
    return ["serve", "--port", str(free_port())] if name == "serve" else ["db", "upgrade"]


@pytest.mark.parametrize("name", ["serve", "upgrade"])
def test_a_read_only_data_dir_stops_the_command_in_one_line(read_only_data_dir: Path, name: str) -> None:
    reason = "Read-only file system" if os.geteuid() == 0 else "Permission denied"
    _assert_refused(_comptoir(read_only_data_dir, *_command(name)), read_only_data_dir, reason)


@pytest.mark.parametrize("name", ["serve", "upgrade"])
def test_a_data_dir_that_cannot_be_created_stops_the_command_in_one_line(tmp_path: Path, name: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    data_dir = blocker / "data"  # its parent is a file: no one, root included, can create it
    _assert_refused(_comptoir(data_dir, *_command(name)), data_dir, "Not a directory")
    assert blocker.read_text() == "not a directory"
