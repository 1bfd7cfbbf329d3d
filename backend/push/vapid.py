"""The VAPID key pair (RFC 8292) that identifies this shop to push services.

Made on first use and kept in the data directory (``vapid_private_key``, mode 0600), so that every
process sharing the directory signs with the same key; several hosts share one by the environment
(``COMPTOIR_VAPID_PRIVATE_KEY``, base64url of the raw 32-byte key, and optionally
``COMPTOIR_VAPID_PUBLIC_KEY``, checked against it). Browsers subscribe with the public key: a new
key makes every existing subscription useless, so the key is never rotated silently.
"""

from __future__ import annotations

import base64
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from backend.kernel.settings import Settings

KEY_FILE = "vapid_private_key"
TOKEN_HOURS = 12  # RFC 8292 allows up to 24 hours; a token is signed again well before it ends


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _raw_private(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def _raw_public(key: ec.EllipticCurvePrivateKey) -> str:
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


def generate_private_key() -> str:
    """A new private key, base64url of its 32 raw bytes (the form the environment takes)."""
    return _raw_private(ec.generate_private_key(ec.SECP256R1()))


def _stored_key(data_dir: Path) -> str:
    path = data_dir / KEY_FILE
    try:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made earlier, or by another process just now
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(generate_private_key())
        if stat.S_IMODE(path.stat().st_mode) != 0o600:
            os.chmod(path, 0o600)
        raw = path.read_text().strip()
        if not raw:  # another process has created it and not written it yet
            time.sleep(0.05)
            raw = path.read_text().strip()
        return raw
    except OSError as exc:
        raise SystemExit(f"cannot use the VAPID key {path}: {exc.strerror or exc}") from None


def subject_for(settings: Settings) -> str:
    """Who push services may contact about our messages."""
    if settings.vapid_subject:
        return settings.vapid_subject
    if settings.is_https:
        return settings.origin
    return f"mailto:push@{urlsplit(settings.base_url).hostname or 'localhost'}"


@dataclass
class VapidKeys:
    """The shop's VAPID identity, and the tokens it signed, one per push service's origin."""

    vapid: Vapid02
    public_key: str  # base64url of the uncompressed point: what the browser's subscribe() takes
    subject: str
    _tokens: dict[str, tuple[float, str]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_raw(cls, private_key: str, subject: str) -> VapidKeys:
        vapid = Vapid02.from_raw(private_key.encode())
        vapid.conf = {"no-strict": True}  # the subject is ours to choose; the audience is checked
        return cls(vapid, _raw_public(vapid.private_key), subject)

    def authorization(self, endpoint: str, now: float | None = None) -> str:
        """The ``Authorization: vapid t=…, k=…`` header for a push to ``endpoint``. The audience
        is the endpoint's origin, port included (pywebpush's own drops it)."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time() if now is None else now
        cached = self._tokens.get(audience)
        if cached is not None and cached[0] - now > 3600:
            return cached[1]
        expires = int(now) + TOKEN_HOURS * 3600
        claims = {"aud": audience, "exp": expires, "sub": self.subject}
        header = self.vapid.sign(claims)["Authorization"]
        self._tokens[audience] = (expires, header)
        return header


def load_keys(settings: Settings) -> VapidKeys:
    """The keys from the environment, else from the data directory (made on first use)."""
    private_key = settings.vapid_private_key or _stored_key(settings.data_dir)
    try:
        keys = VapidKeys.from_raw(private_key, subject_for(settings))
    except ValueError as exc:
        raise SystemExit(f"the VAPID private key is not a raw P-256 key in base64url: {exc}") from None
    if settings.vapid_public_key and settings.vapid_public_key.rstrip("=") != keys.public_key:
        raise SystemExit("COMPTOIR_VAPID_PUBLIC_KEY is not the public half of COMPTOIR_VAPID_PRIVATE_KEY")
    return keys
