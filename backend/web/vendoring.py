"""Same-origin copies of the pinned htmx scripts, taken from their npm packages.

Pages load htmx from the CDN and fall back to these copies (see ``assets.htmx_tags``); the service
worker precaches them so that pages work offline. A copy is written only when its sha384 equals
the SRI pinned in ``assets.py``: the fallback must be byte for byte what the CDN would serve.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from backend.web.assets import VENDOR_DIR, VENDOR_SCRIPTS, VendorScript

# Downloads a script's package tarball into a folder and returns the tarball's path.
Packer = Callable[[VendorScript, Path], Path]


class VendorError(Exception):
    """A download failed or did not match its pinned hash; nothing was written."""


class NpmNotFoundError(Exception):
    """npm is not installed, so nothing can be fetched."""


def sri_of(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def is_current(script: VendorScript, directory: Path) -> bool:
    path = directory / script.filename
    return path.is_file() and sri_of(path.read_bytes()) == script.sri


def verified_script(tarball: Path, script: VendorScript) -> bytes:
    """The script's bytes from a package tarball, if they match the pinned hash."""
    name = f"package/{script.path_in_package}"
    # Read the one member; extracting a downloaded archive could write anywhere.
    with tarfile.open(tarball, "r:gz") as archive:
        try:
            member = archive.extractfile(name)
        except KeyError:
            member = None
        if member is None:
            raise VendorError(f"{script.package}@{script.version} has no file {script.path_in_package}")
        data = member.read()
    if sri_of(data) != script.sri:
        raise VendorError(
            f"{script.package}@{script.version}/{script.path_in_package} does not match its pinned hash: "
            f"expected {script.sri}, got {sri_of(data)}"
        )
    return data


def npm_packer() -> Packer:
    npm = shutil.which("npm")
    if npm is None:
        raise NpmNotFoundError

    def pack(script: VendorScript, into: Path) -> Path:
        spec = f"{script.package}@{script.version}"
        command = [npm, "pack", spec, "--json", "--ignore-scripts"]
        try:
            done = subprocess.run(command, cwd=into, capture_output=True, text=True, check=True, timeout=300)  # noqa: S603
        except subprocess.TimeoutExpired as exc:
            raise VendorError(f"npm pack {spec} timed out") from exc
        except subprocess.CalledProcessError as exc:
            raise VendorError(f"npm pack {spec} failed: {exc.stderr.strip()[-500:]}") from exc
        return into / json.loads(done.stdout)[0]["filename"]

    return pack


def vendor(
    directory: Path = VENDOR_DIR,
    scripts: Sequence[VendorScript] = VENDOR_SCRIPTS,
    packer: Packer | None = None,
) -> list[str]:
    """Bring every script up to date in ``directory``; returns the names of the files written.

    Each copy is verified before any is written, so a bad download leaves the folder as it was.
    """
    wanted = [script for script in scripts if not is_current(script, directory)]
    if not wanted:
        return []
    pack = packer or npm_packer()
    with tempfile.TemporaryDirectory() as tmp:
        verified = {script.filename: verified_script(pack(script, Path(tmp)), script) for script in wanted}
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in verified.items():
        partial = directory / f".{name}.{os.getpid()}.part"  # processes vendoring at once never share one
        partial.write_bytes(data)
        os.replace(partial, directory / name)
    return list(verified)
