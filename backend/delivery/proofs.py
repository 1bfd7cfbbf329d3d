"""Proof of drop-off: a photo and a signature, each checked by its content (not its name or
declared type), stored once under its SHA-256 in the proof directory (the data dir's ``proofs``
or ``COMPTOIR_PROOF_DIR``), and named on the stop by that hash. A hash is as unguessable as the
picture itself; who may read one is ``rules.may_see_proof``.

A photo as the driver's phone sends it (a JPEG it already resized) is kept as sent, after a
cheap check of its header and structure, with its metadata taken out segment by segment (the
camera's EXIF, its GPS position and maker notes, XMP, comments, anything after the picture) and
only its orientation written back, so it shows upright: re-encoding it would cost over 100 ms of
CPU per drop-off for nothing the phone had not done already. Other pictures (a PNG, a WebP, a
JPEG larger than a phone sends) are decoded and re-encoded as WebP, upright, 800 px a side.

Files are written before the command that names them (a file never waits on a transaction): a
confirmation that then fails leaves a file no stop names, harmless and reused if sent again."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import struct
import tempfile
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from backend.catalog.photos import MAX_PIXELS, PhotoRejected, resize
from backend.delivery.rules import Proofs

MAX_PHOTO_BYTES = 8 * 1024 * 1024  # a phone resizes before sending; this is the ceiling
MAX_KEPT_SIDE = 2048  # the driver's page sends 1280 px; a larger JPEG is re-encoded
MAX_KEPT_BYTES = 2 * 1024 * 1024
MAX_SIGNATURE_BYTES = 512 * 1024
MAX_SIGNATURE_PIXELS = 4_000_000
HASH = re.compile(r"^[0-9a-f]{64}$")
MEDIA_TYPES = {"jpg": "image/jpeg", "webp": "image/webp", "png": "image/png"}
JPEG_START = b"\xff\xd8\xff"
ORIENTATION_TAG = 0x0112
_SOS, _EOI, _APP0, _APP2, _APP14, _COM = 0xDA, 0xD9, 0xE0, 0xE2, 0xEE, 0xFE
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and the restart markers: no length
# A marker in compressed data: FF then anything but stuffing (00), fill (FF) or a restart (D0-D7),
# found in one pass in C; a photo has a thousand stuffed FF 00, which a loop over each FF went
# through one by one (most of the walk's time).
_MARKER = re.compile(rb"\xff[^\x00\xff\xd0-\xd7]")
# Application segments that describe how to decode the picture, not where or by whom it was taken.
_DECODING_APPS = {_APP0: (b"JFIF\0",), _APP2: (b"ICC_PROFILE\0",), _APP14: (b"Adobe",)}


class ProofRejected(Exception):
    """Field → problem code (``rules.MESSAGES``): not a picture, too large, an empty signature."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


def photo_content(data: bytes) -> tuple[bytes, str]:
    """The photo as stored and its file extension: a phone's JPEG as sent, without its metadata;
    anything else upright, at most 800 px a side, WebP (as product photos are)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ProofRejected({"photo": "proof_too_large"})
    if data.startswith(JPEG_START) and (kept := _phone_jpeg(data)) is not None:
        return kept, "jpg"
    try:
        return resize(data), "webp"
    except PhotoRejected as exc:
        code = "proof_too_large" if exc.code == "photo_too_large" else "proof_not_an_image"
        raise ProofRejected({"photo": code}) from None


def _phone_jpeg(data: bytes) -> bytes | None:
    """The JPEG without its metadata, if it is one a phone resized; None for a JPEG too large to
    keep as sent. Only the header is decoded: the marker walk checks the rest."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            width, height = probe.size
            if probe.format != "JPEG" or width * height > MAX_PIXELS:
                return None
            orientation = probe.getexif().get(ORIENTATION_TAG, 1)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None  # the full check refuses it
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ProofRejected({"photo": "proof_not_an_image"}) from None
    if max(width, height) > MAX_KEPT_SIDE or len(data) > MAX_KEPT_BYTES or min(width, height) < 1:
        return None
    return without_metadata(data, orientation if orientation in range(2, 9) else 1)


def without_metadata(data: bytes, orientation: int = 1) -> bytes:
    """The JPEG's segments walked marker by marker: application segments other than JFIF, the
    colour profile and Adobe's colour transform are dropped (EXIF with GPS and maker notes, XMP,
    IPTC, …), so are comments and whatever follows the end of the picture (a motion photo's
    video, extra images); the compressed picture itself is copied as it is. ``orientation``
    (EXIF 2–8) is written back alone. A file whose structure breaks off is no picture."""
    kept: list[bytes] = []
    position = 2
    while True:  # the header's segments, up to the first scan
        position, marker, end = _segment(data, position)
        if marker == _SOS:
            break
        if _kept(marker, data[position + 4 : end]):
            kept.append(data[position:end])
        position = end
    body = _scans(data, position)
    jfif = [kept.pop(0)] if kept and kept[0][1] == _APP0 else []  # JFIF comes first when present
    return b"".join([b"\xff\xd8", *jfif, _orientation_segment(orientation), *kept, body])


def _segment(data: bytes, position: int) -> tuple[int, int, int]:
    """Where the marker at ``position`` is (after any fill bytes), which it is and where its
    segment ends."""
    while position + 1 < len(data) and data[position] == 0xFF and data[position + 1] == 0xFF:
        position += 1
    if position + 4 > len(data) or data[position] != 0xFF or data[position + 1] in (_EOI, 0x00, 0xD8):
        raise ProofRejected({"photo": "proof_not_an_image"})
    marker = data[position + 1]
    if marker in _STANDALONE:
        return position, marker, position + 2
    end = position + 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    if end - position < 4 or end > len(data):
        raise ProofRejected({"photo": "proof_not_an_image"})
    return position, marker, end


def _kept(marker: int, payload: bytes) -> bool:
    if marker == _COM:
        return False
    if 0xE0 <= marker <= 0xEF:
        return any(payload.startswith(sign) for sign in _DECODING_APPS.get(marker, ()))
    return True


def _scans(data: bytes, position: int) -> bytes:
    """From the first scan to the end of the picture (EOI included): the compressed data, and the
    tables and further scans of a progressive JPEG, without application segments or comments."""
    parts: list[bytes] = []
    start = position
    while True:
        while data[position : position + 2] == b"\xff\xff":  # fill bytes before a marker
            position += 1
        if data[position : position + 2] == b"\xff\xd9":
            parts.append(data[start : position + 2])
            return b"".join(parts)
        position, marker, end = _segment(data, position)
        if marker == _SOS:
            position = _after_entropy(data, end)
            continue
        if not _kept(marker, data[position + 4 : end]):
            parts.append(data[start:position])
            start = end
        position = end


def _after_entropy(data: bytes, position: int) -> int:
    """Where the compressed data that starts at ``position`` ends: the next marker that is not a
    stuffed 0xFF (FF 00), a restart marker or fill (FF FF: the marker is at the last FF)."""
    found = _MARKER.search(data, position)
    if found is None:
        raise ProofRejected({"photo": "proof_not_an_image"})  # cut off before its end
    return found.start()


def _orientation_segment(orientation: int) -> bytes:
    """An EXIF segment holding the orientation alone (nothing for an upright picture)."""
    if orientation == 1:
        return b""
    entry = struct.pack(">HHIHH", ORIENTATION_TAG, 3, 1, orientation, 0)  # SHORT, one value
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + struct.pack(">I", 0)
    payload = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


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
    checked: dict[str, tuple[bytes, str]] = {}
    for name, data, check in (("photo", photo, photo_content), ("signature", signature, _signature)):
        if data is None:
            continue
        try:
            checked[name] = check(data)
        except ProofRejected as exc:
            problems |= exc.problems
    if problems:
        raise ProofRejected(problems)
    return Proofs(
        photo=store(directory, *checked["photo"]) if "photo" in checked else None,
        signature=store(directory, *checked["signature"]) if "signature" in checked else None,
    )


def _signature(data: bytes) -> tuple[bytes, str]:
    return signature_content(data), "png"


async def keep_off_loop(directory: Path, photo: bytes | None, signature: bytes | None) -> Proofs:
    """``keep`` in a thread: checking a signature decodes it, re-encoding a photo that is not a
    phone's JPEG takes over 100 ms."""
    if photo is None and signature is None:
        return Proofs()
    return await asyncio.to_thread(keep, directory, photo, signature)
