"""Proof of drop-off: a photo and a signature, each checked by its content (not its name or
declared type), stored once under its SHA-256 in the proof directory (the data dir's ``proofs``
or ``COMPTOIR_PROOF_DIR``), and named on the stop by that hash. A hash is as unguessable as the
picture itself; who may read one is ``rules.may_see_proof``.

Files are written before the command that names them (a file never waits on a transaction): a
confirmation that then fails leaves a file no stop names, harmless and reused if sent again."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import tempfile
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from backend.catalog.photos import PhotoRejected, resize
from backend.delivery.rules import Proofs

MAX_PHOTO_BYTES = 8 * 1024 * 1024  # a phone resizes before sending; this is the ceiling
MAX_SIGNATURE_BYTES = 512 * 1024
MAX_SIGNATURE_PIXELS = 4_000_000
HASH = re.compile(r"^[0-9a-f]{64}$")
MEDIA_TYPES = {"webp": "image/webp", "png": "image/png"}


class ProofRejected(Exception):
    """Field → problem code (``rules.MESSAGES``): not a picture, too large, an empty signature."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


def photo_content(data: bytes) -> bytes:
    """The photo as stored: upright, at most 800 px a side, WebP (as product photos are)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ProofRejected({"photo": "proof_too_large"})
    try:
        return resize(data)
    except PhotoRejected as exc:
        code = "proof_too_large" if exc.code == "photo_too_large" else "proof_not_an_image"
        raise ProofRejected({"photo": code}) from None


def signature_content(data: bytes) -> bytes:
    """The signature as drawn: a PNG with at least one stroke (a blank canvas is no signature)."""
    if len(data) > MAX_SIGNATURE_BYTES:
        raise ProofRejected({"signature": "proof_too_large"})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format != "PNG":
                raise ProofRejected({"signature": "proof_not_an_image"})
            if probe.width * probe.height > MAX_SIGNATURE_PIXELS:
                raise ProofRejected({"signature": "proof_too_large"})
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ProofRejected({"signature": "proof_too_large"}) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ProofRejected({"signature": "proof_not_an_image"}) from None
    if _blank(image):
        raise ProofRejected({"signature": "signature_empty"})
    return data


def _blank(image: Image.Image) -> bool:
    """Nothing drawn: every pixel transparent, or all of one colour."""
    rgba = image.convert("RGBA")
    if rgba.getchannel("A").getextrema()[1] == 0:
        return True
    return all(low == high for low, high in rgba.getextrema())


def store(directory: Path, content: bytes, extension: str) -> str:
    """Write ``content`` once under its hash (``ab/abcdef….ext``); returns the hash."""
    digest = hashlib.sha256(content).hexdigest()
    path = _path(directory, digest, extension)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(temporary, path)  # whole or absent, never half a file
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return digest


def _path(directory: Path, digest: str, extension: str) -> Path:
    return directory / digest[:2] / f"{digest}.{extension}"


def read(directory: Path, digest: str) -> tuple[bytes, str] | None:
    """A stored proof's content and media type; None for anything that is not one (the hash is
    checked first, so no path can be made of it)."""
    if not HASH.match(digest):
        return None
    for extension, media_type in MEDIA_TYPES.items():
        path = _path(directory, digest, extension)
        if path.is_file():
            return path.read_bytes(), media_type
    return None


def keep(directory: Path, photo: bytes | None, signature: bytes | None) -> Proofs:
    """Check and store what a drop-off carries; raise ``ProofRejected`` naming every problem."""
    problems: dict[str, str] = {}
    checked: dict[str, bytes] = {}
    for name, data, check in (("photo", photo, photo_content), ("signature", signature, signature_content)):
        if data is None:
            continue
        try:
            checked[name] = check(data)
        except ProofRejected as exc:
            problems |= exc.problems
    if problems:
        raise ProofRejected(problems)
    return Proofs(
        photo=store(directory, checked["photo"], "webp") if "photo" in checked else None,
        signature=store(directory, checked["signature"], "png") if "signature" in checked else None,
    )


async def keep_off_loop(directory: Path, photo: bytes | None, signature: bytes | None) -> Proofs:
    """``keep`` in a thread: decoding and resizing a photo takes tens of milliseconds."""
    if photo is None and signature is None:
        return Proofs()
    return await asyncio.to_thread(keep, directory, photo, signature)
