"""The service worker's source, stamped with a cache version derived from what it precaches."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from backend import assets

SW_TEMPLATE = Path(__file__).resolve().parent.parent.parent / "pwa" / "sw.js"

SHELL_ASSETS = ("app.css", "app.js", "icons.svg", "icons/icon-192.png", "icons/icon-512.png")


def precache_urls() -> list[str]:
    urls = ["/offline", "/manifest.webmanifest"]
    urls += [assets.url(name) for name in SHELL_ASSETS]
    urls += [script.local_url for script in assets.VENDOR_SCRIPTS if (assets.VENDOR_DIR / script.filename).exists()]
    return urls


@cache
def service_worker_source() -> str:
    source = SW_TEMPLATE.read_text()
    urls = precache_urls()
    version = hashlib.sha256((source + json.dumps(urls)).encode()).hexdigest()[:12]
    return source.replace("__CACHE_VERSION__", version).replace("__PRECACHE_URLS__", json.dumps(urls))
