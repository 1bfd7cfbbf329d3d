"""Static asset URLs with content hashes, and the pinned htmx scripts with their local fallback."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

from markupsafe import Markup

STATIC_DIR = Path(__file__).resolve().parents[2] / "frontend" / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
CDN_BASE = "https://cdn.jsdelivr.net/npm"


@dataclass(frozen=True)
class VendorScript:
    package: str
    version: str
    path_in_package: str  # as in the npm tarball, below "package/"
    sri: str  # sha384, base64, as in the integrity attribute

    @property
    def filename(self) -> str:
        return Path(self.path_in_package).name

    @property
    def cdn_url(self) -> str:
        return f"{CDN_BASE}/{self.package}@{self.version}/{self.path_in_package}"

    @property
    def local_url(self) -> str:
        return url(f"vendor/{self.filename}")


HTMX = VendorScript(
    "htmx.org",
    "2.0.11",
    "dist/htmx.min.js",
    "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg",
)
HTMX_WS = VendorScript(
    "htmx-ext-ws",
    "2.0.4",
    "dist/ws.min.js",
    "sha384-1RwI/nvUSrMRuNj7hX1+27J8XDdCoSLf0EjEyF69nacuWyiJYoQ/j39RT1mSnd2G",
)
HTMX_SCRIPTS = (HTMX, HTMX_WS)
# The delivery map (Leaflet) is loaded by the pages that show one, from the CDN with SRI and, when
# that fails, from the same-origin copy: ``map_assets``. Its tiles come from OpenStreetMap.
LEAFLET = VendorScript(
    "leaflet",
    "1.9.4",
    "dist/leaflet.js",
    "sha384-cxOPjt7s7Iz04uaHJceBmS+qpjv2JkIHNVcuOrM+YHwZOmJGBXI00mdUXEq65HTH",
)
LEAFLET_CSS = VendorScript(
    "leaflet",
    "1.9.4",
    "dist/leaflet.css",
    "sha384-sHL9NAb7lN7rfvG5lfHpm643Xkcjzp4jFvuavGOndn6pjVqS6ny56CAt3nsEVT4H",
)
MAP_TILES = "https://tile.openstreetmap.org"
VENDOR_SCRIPTS = (*HTMX_SCRIPTS, LEAFLET, LEAFLET_CSS)


@cache
def _digest(relative: str) -> str | None:
    path = STATIC_DIR / relative
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@cache  # every page asks for the same few, and the files do not change while the app runs
def url(relative: str) -> str:
    """``/static/<name>.<content hash>.<ext>``: a changed file gets a new URL, so browsers may keep
    each for a year (``backend/ops/static_files.py`` serves it)."""
    digest = _digest(relative)
    if digest is None:
        return f"/static/{relative}"
    path = PurePosixPath(relative)
    return f"/static/{path.with_name(f'{path.stem}.{digest}{path.suffix}')}"


def _tag(src: str, sri: str, cross_origin: bool) -> str:
    extra = ' crossorigin="anonymous"' if cross_origin else ""
    return f'<script src="{src}" integrity="{sri}"{extra}></script>'


def _fallback(script: VendorScript, condition: str) -> str:
    # Written during parsing, so the fallback runs before anything that needs htmx.
    tag = _tag(script.local_url, script.sri, False).replace("</script>", "<\\/script>")
    return f"<script>{condition} || document.write('{tag}')</script>"


@cache
def htmx_tags(source: str = "cdn") -> Markup:
    """htmx and its websocket extension: from the CDN with SRI, else from this server."""
    if source == "local":
        return Markup("".join(_tag(s.local_url, s.sri, False) for s in HTMX_SCRIPTS))  # noqa: S704 - constants
    parts = [
        _tag(HTMX.cdn_url, HTMX.sri, True),
        _fallback(HTMX, "window.htmx"),
        # The extension registers itself with htmx; remember that it did, to detect a failed load.
        "<script>window.htmx && (function(d){htmx.defineExtension=function(n,e){"
        "window.comptoirExt=(window.comptoirExt||{});comptoirExt[n]=1;return d.call(htmx,n,e)}})"
        "(htmx.defineExtension)</script>",
        _tag(HTMX_WS.cdn_url, HTMX_WS.sri, True),
        _fallback(HTMX_WS, "(window.comptoirExt && comptoirExt.ws)"),
    ]
    return Markup("".join(parts))  # noqa: S704 - built from this module's constants only


def htmx_cdn_urls(source: str = "cdn") -> list[str]:
    """The CDN addresses the pages load scripts from, for the Content-Security-Policy."""
    return [] if source == "local" else [s.cdn_url for s in HTMX_SCRIPTS]


def map_assets(source: str = "cdn") -> dict[str, str]:
    """Where a map page loads Leaflet from (the CDN unless told to stay local) and its fallback."""
    local = source == "local"
    return {
        "js": LEAFLET.local_url if local else LEAFLET.cdn_url,
        "js_sri": LEAFLET.sri,
        "js_local": LEAFLET.local_url,
        "css": LEAFLET_CSS.local_url if local else LEAFLET_CSS.cdn_url,
        "css_sri": LEAFLET_CSS.sri,
        "css_local": LEAFLET_CSS.local_url,
        "tiles": MAP_TILES + "/{z}/{x}/{y}.png",
    }


def map_cdn_urls(source: str = "cdn") -> tuple[list[str], list[str]]:
    """The map's script and style addresses on the CDN, for the Content-Security-Policy."""
    return ([], []) if source == "local" else ([LEAFLET.cdn_url], [LEAFLET_CSS.cdn_url])


@cache
def inline_script_hashes(source: str = "cdn") -> list[str]:
    """CSP sources allowing exactly the inline scripts ``htmx_tags`` writes, by their hashes."""
    bodies = re.findall(r"<script>(.*?)</script>", str(htmx_tags(source)), flags=re.DOTALL)
    digests = (base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() for body in bodies)
    return [f"'sha256-{digest}'" for digest in digests]
