"""The service worker's source, stamped with a cache version derived from what it precaches."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from backend import assets

PWA_DIR = Path(__file__).resolve().parent.parent.parent / "pwa"
SW_TEMPLATE = PWA_DIR / "sw.js"

SHELL_ASSETS = (
    "app.css",
    "app.js",
    "outbox.js",
    "offline.js",
    "icons.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
)
# The worker replays the offline outbox itself (Background Sync) with the pages' own code.
OUTBOX_SCRIPT = "outbox.js"


def _unhashed_files() -> dict[str, Path]:
    """Precached URLs that carry no content hash, with the files behind them.

    The worker serves these from its cache, so their bytes must go into the version: otherwise a
    new manifest or htmx release would never reach a phone that has the old one.
    """
    files = {
        "/manifest.webmanifest": PWA_DIR / "manifest.webmanifest",
        "/favicon.ico": assets.STATIC_DIR / "icons" / "favicon.ico",
    }
    for script in assets.VENDOR_SCRIPTS:
        path = assets.VENDOR_DIR / script.filename
        if path.exists():
            files[script.local_url] = path
    return files


def precache_urls() -> list[str]:
    return ["/offline", *_unhashed_files(), *(assets.url(name) for name in SHELL_ASSETS)]


@cache
def service_worker_source() -> str:
    source = SW_TEMPLATE.read_text()
    urls = precache_urls()
    digest = hashlib.sha256((source + json.dumps(urls)).encode())
    for path in _unhashed_files().values():
        digest.update(path.read_bytes())
    version = digest.hexdigest()[:12]
    return (
        source.replace("__CACHE_VERSION__", version)
        .replace("__PRECACHE_URLS__", json.dumps(urls))
        .replace("__OUTBOX_URL__", json.dumps(assets.url(OUTBOX_SCRIPT)))
    )
