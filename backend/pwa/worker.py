"""The service worker's source, stamped with a cache version derived from what it precaches."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from backend.web import assets

PWA_DIR = Path(__file__).resolve().parent.parent.parent / "pwa"
SW_TEMPLATE = PWA_DIR / "sw.js"

SHELL_ASSETS = (
    "app.css",
    "app.js",
    "outbox.js",
    "offline.js",
    "fulfilment.js",  # the picker's list works offline once opened
    "icons.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
)
# The worker replays the offline outbox itself (Background Sync) with the pages' own code.
OUTBOX_SCRIPT = "outbox.js"


def _unhashed() -> dict[str, bytes]:
    """Precached URLs that carry no content hash, with what they answer.

    The worker serves these from its cache, so their bytes must go into the version: otherwise a
    new manifest or icon would never reach a phone that has the old one.
    """
    return {
        "/manifest.webmanifest": manifest_source().encode(),
        "/favicon.ico": (assets.STATIC_DIR / "icons" / "favicon.ico").read_bytes(),
    }


def precache_urls() -> list[str]:
    """Everything else is at its content-hashed URL: the same file can never be two versions."""
    vendored = [s.local_url for s in assets.VENDOR_SCRIPTS if (assets.VENDOR_DIR / s.filename).exists()]
    return ["/offline", *_unhashed(), *vendored, *(assets.url(name) for name in SHELL_ASSETS)]


@cache
def manifest_source() -> str:
    """The web app manifest, with each icon at its content-hashed URL."""
    manifest = json.loads((PWA_DIR / "manifest.webmanifest").read_text())
    for icon in manifest["icons"]:
        icon["src"] = assets.url(icon["src"].removeprefix("/static/"))
    return json.dumps(manifest, ensure_ascii=False, indent=2)


@cache
def service_worker_source() -> str:
    source = SW_TEMPLATE.read_text()
    urls = precache_urls()
    digest = hashlib.sha256((source + json.dumps(urls)).encode())
    for answer in _unhashed().values():
        digest.update(answer)
    version = digest.hexdigest()[:12]
    return (
        source.replace("__CACHE_VERSION__", version)
        .replace("__PRECACHE_URLS__", json.dumps(urls))
        .replace("__OUTBOX_URL__", json.dumps(assets.url(OUTBOX_SCRIPT)))
    )
