"""Vendored scripts are written only when they match their pinned hash; no network involved."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from backend.web.assets import VendorScript
from backend.web.vendoring import NpmNotFoundError, VendorError, npm_packer, sri_of, vendor

GOOD = b"window.lib = 1\n"
EXT = b"window.ext = 1\n"
LIB = VendorScript("lib", "1.0.0", "dist/lib.min.js", sri_of(GOOD))
LIB_EXT = VendorScript("lib-ext", "1.0.0", "dist/ext.min.js", sri_of(EXT))


def fake_registry(contents: dict[str, bytes]) -> Callable[[VendorScript, Path], Path]:
    """A packer that builds each package's tarball, as `npm pack` would download it."""
    calls: list[str] = []

    def pack(script: VendorScript, into: Path) -> Path:
        calls.append(script.package)
        tarball = into / f"{script.package}-{script.version}.tgz"
        with tarfile.open(tarball, "w:gz") as archive:
            data = contents[script.package]
            member = tarfile.TarInfo(f"package/{script.path_in_package}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
        return tarball

    pack.calls = calls  # type: ignore[attr-defined]
    return pack


def test_sri_is_the_base64_sha384_that_browsers_check() -> None:
    # `openssl dgst -sha384 -binary /dev/null | openssl base64 -A`
    assert sri_of(b"") == "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb"


def test_scripts_that_match_their_pinned_hash_are_written(tmp_path: Path) -> None:
    written = vendor(tmp_path, [LIB, LIB_EXT], fake_registry({"lib": GOOD, "lib-ext": EXT}))

    assert written == ["lib.min.js", "ext.min.js"]
    assert (tmp_path / "lib.min.js").read_bytes() == GOOD
    assert (tmp_path / "ext.min.js").read_bytes() == EXT


def test_a_mismatch_fails_and_writes_nothing_at_all(tmp_path: Path) -> None:
    tampered = fake_registry({"lib": GOOD, "lib-ext": b"window.ext = 'evil'\n"})

    with pytest.raises(VendorError, match="does not match its pinned hash"):
        vendor(tmp_path, [LIB, LIB_EXT], tampered)

    assert list(tmp_path.iterdir()) == []


def test_a_current_copy_is_not_downloaded_again(tmp_path: Path) -> None:
    (tmp_path / "lib.min.js").write_bytes(GOOD)
    registry = fake_registry({"lib": GOOD})

    assert vendor(tmp_path, [LIB], registry) == []
    assert registry.calls == []  # type: ignore[attr-defined]


def test_a_stale_copy_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "lib.min.js").write_bytes(b"window.lib = 0\n")

    assert vendor(tmp_path, [LIB], fake_registry({"lib": GOOD})) == ["lib.min.js"]
    assert (tmp_path / "lib.min.js").read_bytes() == GOOD


def test_a_package_without_the_file_is_refused(tmp_path: Path) -> None:
    registry = fake_registry({"lib": GOOD})
    moved = VendorScript("lib", "1.0.0", "dist/elsewhere.js", sri_of(GOOD))

    with pytest.raises(VendorError, match=r"has no file dist/elsewhere\.js"):
        vendor(tmp_path, [moved], lambda _, into: registry(LIB, into))


def test_without_npm_there_is_nothing_to_fetch_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(NpmNotFoundError):
        npm_packer()
