"""Runtime settings, read once from ``COMPTOIR_*`` environment variables.

Secrets are generated on first run and kept in the data directory (mode 0600) so that sessions
and CSRF tokens survive restarts and are shared by every process that uses the same data dir.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

HTMX_SOURCES = ("cdn", "local")


def _env(name: str, default: str) -> str:
    return os.environ.get(f"COMPTOIR_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"COMPTOIR_{name} must be a whole number, not {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        return float(raw)
    except ValueError as exc:
        raise SystemExit(f"COMPTOIR_{name} must be a number, not {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    htmx_source: str = "cdn"
    secret_key: str = field(default="", repr=False)
    session_idle_minutes: int = 60 * 24 * 14
    session_absolute_hours: int = 24 * 30
    max_body_bytes: int = 2 * 1024 * 1024
    login_attempts_per_window: int = 10
    login_window_seconds: int = 300
    tailer_poll_seconds: float = 0.5
    websocket_heartbeat_seconds: float = 25.0
    log_requests: bool = True
    order_wait_alert_minutes: int = 10  # an order waiting for a decision longer than this stands out
    invitation_days: int = 7  # an invitation link to join the team works this long
    # Delivery: an OSRM-compatible routing server and a Nominatim-compatible geocoder, both off
    # unless set; drop-off photos and signatures are kept under ``proof_dir`` (None: the data dir's
    # ``proofs``, see ``delivery_proof_dir``).
    routing_url: str = ""
    geocoder_url: str = ""
    proof_dir: Path | None = None
    # Web Push: the VAPID key pair (base64url, raw P-256); empty, it is made and kept in the data dir.
    vapid_private_key: str = field(default="", repr=False)
    vapid_public_key: str = ""
    vapid_subject: str = ""  # a mailto: or https: contact for push services; empty, derived from base_url
    push_poll_seconds: float = 0.5
    # Shared documents: an SMTP server (smtp://user:password@host:587, smtps://… for TLS from the
    # start) through which a document's link (never the file) may be e-mailed; off unless set.
    smtp_url: str = field(default="", repr=False)
    smtp_from: str = ""
    # Subscriptions and sends to push services on this machine only (tests, the benchmark): the
    # app then never posts a notification to a host on the internet.
    push_loopback_only: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def origin(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def delivery_proof_dir(self) -> Path:
        return self.proof_dir or self.data_dir / "proofs"


def load_secret(data_dir: Path) -> str:
    """Return the instance secret, creating it with owner-only permissions on first use."""
    path = data_dir / "secret_key"
    try:
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        if stat.S_IMODE(path.stat().st_mode) != 0o600:  # a read-only directory may hold a good one
            os.chmod(path, 0o600)
        return path.read_text().strip()
    except OSError as exc:
        raise SystemExit(f"cannot use the secret key {path}: {exc.strerror or exc}") from None


def from_env() -> Settings:
    data_dir = Path(_env("DATA_DIR", "./var")).resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # e.g. a parent that is a file, or on a read-only file system
        raise SystemExit(f"cannot create the data directory {data_dir}: {exc.strerror or exc}") from None
    host = _env("HOST", "127.0.0.1")
    port = _env_int("PORT", 8000)
    htmx_source = _env("HTMX_SOURCE", "cdn")
    if htmx_source not in HTMX_SOURCES:
        raise SystemExit(f"COMPTOIR_HTMX_SOURCE must be one of {', '.join(HTMX_SOURCES)}")
    return Settings(
        data_dir=data_dir,
        database_url=_env("DATABASE_URL", f"sqlite+aiosqlite:///{data_dir / 'comptoir.db'}"),
        host=host,
        port=port,
        base_url=_env("BASE_URL", f"http://{host}:{port}"),
        htmx_source=htmx_source,
        secret_key=load_secret(data_dir),
        session_idle_minutes=_env_int("SESSION_IDLE_MINUTES", 60 * 24 * 14),
        session_absolute_hours=_env_int("SESSION_ABSOLUTE_HOURS", 24 * 30),
        max_body_bytes=_env_int("MAX_BODY_BYTES", 2 * 1024 * 1024),
        tailer_poll_seconds=_env_float("TAILER_POLL_SECONDS", 0.5),
        websocket_heartbeat_seconds=_env_float("WEBSOCKET_HEARTBEAT_SECONDS", 25.0),
        log_requests=_env("LOG_REQUESTS", "1") != "0",
        order_wait_alert_minutes=_env_int("ORDER_WAIT_ALERT_MINUTES", 10),
        invitation_days=_invitation_days(),
        routing_url=_service_url("ROUTING_URL"),
        geocoder_url=_service_url("GEOCODER_URL"),
        proof_dir=Path(raw).resolve() if (raw := _env("PROOF_DIR", "")) else None,
        vapid_private_key=_env("VAPID_PRIVATE_KEY", "").strip(),
        vapid_public_key=_env("VAPID_PUBLIC_KEY", "").strip(),
        vapid_subject=_env("VAPID_SUBJECT", "").strip(),
        push_poll_seconds=_env_float("PUSH_POLL_SECONDS", 0.5),
        smtp_url=_smtp_url(),
        smtp_from=_env("SMTP_FROM", "").strip(),
        push_loopback_only=_env("PUSH_LOOPBACK_ONLY", "0") == "1",
    )


def _smtp_url() -> str:
    url = _env("SMTP_URL", "").strip()
    if url and not url.startswith(("smtp://", "smtps://")):
        raise SystemExit("COMPTOIR_SMTP_URL must be an smtp:// or smtps:// address")
    return url


def _service_url(name: str) -> str:
    url = _env(name, "").strip().rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise SystemExit(f"COMPTOIR_{name} must be an http:// or https:// address")
    return url


def _invitation_days() -> int:
    days = _env_int("INVITATION_DAYS", 7)
    if not 1 <= days <= 90:  # a link that never expires is a standing key to the team
        raise SystemExit("COMPTOIR_INVITATION_DAYS must be between 1 and 90")
    return days
