"""A small file system of the test's own (tmpfs): a disk that really fills up, or really is
read-only. Mounting needs root (as in CI); elsewhere the tests that need one say so and skip."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30, check=False)


@contextlib.contextmanager
def tmpfs(where: Path, size_mib: int) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs of the test's own needs root")
    where.mkdir(parents=True, exist_ok=True)
    mounted = _mount("-t", "tmpfs", "-o", f"size={size_mib}m,mode=0755", "tmpfs", str(where))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "--lazy", str(where)], capture_output=True, timeout=30, check=False)


def remount_read_only(where: Path) -> None:
    done = _mount("-o", "remount,ro", str(where))
    assert done.returncode == 0, done.stderr


def fill(where: Path) -> Path:
    """Write a ballast file until the file system has no byte left; return it (delete it to free)."""
    ballast = where / "ballast"
    chunk = b"\0" * (1 << 20)
    with ballast.open("wb", buffering=0) as output:
        with contextlib.suppress(OSError):  # ENOSPC: full
            while True:
                output.write(chunk)
        with contextlib.suppress(OSError):  # the last bytes a whole chunk did not fit in
            while True:
                output.write(b"\0" * 512)
    return ballast
