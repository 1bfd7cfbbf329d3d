"""The page audit's machinery: which pages there are (read from the app's routes, so a new page is
audited without anyone listing it), how their path parameters are filled from the demo data, and
what is checked on each page as laid out on a phone.

axe-core comes from its npm package, pinned by version and hash like htmx (``backend.web.vendoring``),
into a git-ignored folder beside this file; it is never served to the pages.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from litestar.routes import HTTPRoute
from playwright.sync_api import ConsoleMessage, Page, Request, Response

from backend.web.assets import VendorScript

HERE = Path(__file__).resolve().parent
SCREENS = HERE.parents[1] / "screens"
AXE = VendorScript(
    "axe-core",
    "4.14.1",
    "axe.min.js",
    "sha384-xt1SFg49QaDwsyt0Xfs2XAyBtYPClXl3X2q5OOLeGAUmq9jZTYIMdztpF99WdhiH",
)
AXE_DIR = HERE / "vendor"
CHECKS = (HERE / "page_checks.js").read_text()
SIZES = {"390x844": {"width": 390, "height": 844}, "320x640": {"width": 320, "height": 640}}
MIN_TARGET = 44  # px, WCAG 2.5.5's size, kept as spacing when smaller (2.5.8)
MIN_CHARS = 3

# GET routes that are not pages a person reads; everything else must answer a page.
NOT_PAGES = {
    "/api/": "the JSON API",
    "/schema": "the OpenAPI description and its third-party viewer",
    "/static/": "files",
    "/media/": "product photos",
    "/health": "the health probe (JSON)",
    "/push/key": "the VAPID public key (JSON)",
    "/manifest.webmanifest": "the web app manifest",
    "/sw.js": "the service worker",
    "/favicon.ico": "the icon",
    "/orders/export.csv": "a CSV download",
    "/catalog/export.csv": "a CSV download",
    "/orders/{order_id:int}/card": "a queue card fragment that live updates fetch",
    "/t/{token:str}/proof": "the photo taken at the door",
    "/my/orders/{order_id:int}/proof": "the photo taken at the door",
    "/fulfilment/orders/{order_id:int}/slip.pdf": "a PDF download",
    "/invoices/export.csv": "a CSV download",
    "/stock/bins.csv": "a CSV download",
    "/invoices/{invoice_id:int}/pdf": "a PDF download",
    "/orders/{order_id:int}/returns": "the returns panel the order page fetches",
    "/t/{token:str}/returns": "the returns panel the tracking page fetches",
    "/my/orders/{order_id:int}/returns": "the returns panel the tracking page fetches",
    "/d/": "a shared document (a PDF), not a page",
    "/deliveries/proofs/": "proof pictures",
    "/deliveries/orders/": "an order's proofs, a fragment its page loads",
}

# A path parameter's value: the first row of the demo data, by (first path segment, name).
PARAMETERS = {
    ("orders", "order_id"): "SELECT min(id) FROM orders WHERE status = 'placed'",
    ("purchase-orders", "order_id"): "SELECT id FROM purchase_orders ORDER BY status = 'sent' DESC, id",
    ("customers", "customer_id"): "SELECT min(id) FROM customers",
    ("catalog", "product_id"): "SELECT min(id) FROM products",
    ("stock", "product_id"): "SELECT min(id) FROM products",
    ("locations", "location_id"): "SELECT min(id) FROM locations",
    ("suppliers", "supplier_id"): "SELECT min(id) FROM suppliers",
    ("team", "user_id"): "SELECT id FROM users WHERE email = 'staff@demo.test'",
    ("my", "order_id"): "SELECT min(o.id) FROM orders o JOIN customers c ON c.id = o.customer_id"
    " JOIN users u ON u.id = c.user_id WHERE u.email = 'customer@demo.test'",
    ("shop", "product_id"): "SELECT min(id) FROM products WHERE active",
    # A batch still being picked, and a packed parcel waiting for its carrier (the shipping form).
    ("fulfilment", "batch_id"): "SELECT max(f.batch_id) FROM fulfilments f JOIN orders o ON o.id = f.order_id"
    " WHERE o.status = 'picking'",
    (
        "fulfilment",
        "order_id",
    ): "SELECT min(id) FROM orders WHERE status = 'packed' AND fulfilment_mode = 'shipping'",
    ("invoices", "invoice_id"): "SELECT id FROM invoices WHERE status = 'partly_paid' ORDER BY id",
    ("returns", "return_id"): "SELECT id FROM returns ORDER BY status = 'approved' DESC, id",
    ("documents", "kind"): "SELECT 'invoice'",
    ("documents", "subject_id"): "SELECT min(subject_id) FROM document_links WHERE kind = 'invoice'",
    ("deliveries", "run_id"): "SELECT min(id) FROM delivery_runs WHERE status = 'started'",
    ("deliveries", "order_id"): "SELECT min(id) FROM orders WHERE fulfilment_mode = 'delivery'"
    " AND status = 'packed'",
}

# htmx reports failed requests and swaps as events on the element; the page keeps them for the test.
HTMX_ERRORS = """
window.__htmxErrors = [];
for (const name of ['htmx:responseError', 'htmx:sendError', 'htmx:swapError', 'htmx:targetError',
    'htmx:oobErrorNoTarget', 'htmx:onLoadError', 'htmx:historyCacheError', 'htmx:wsError']) {
  document.addEventListener(name, (event) => {
    const content = event.detail && (event.detail.content || event.detail.elt);
    const id = content && content.id ? '#' + content.id : (content && content.outerHTML || '').slice(0, 80);
    window.__htmxErrors.push(name + ' ' + id);
  });
}
"""


@dataclass(frozen=True)
class PageRoute:
    template: str  # as the router declares it, e.g. /orders/{order_id:int}
    url: str

    @property
    def slug(self) -> str:
        bare = re.sub(r"\{(\w+)(:\w+)?\}", r"\1", self.template).strip("/")
        return bare.replace("/", "-") or "home"


def not_a_page(path: str) -> str | None:
    for prefix, reason in NOT_PAGES.items():
        if (
            path == prefix
            or (prefix.endswith("/") and path.startswith(prefix))
            or path.startswith(prefix + "/")
        ):
            return reason
    return None


def get_routes(data_dir: Path) -> list[str]:
    """Every GET path of the app, as its router has it."""
    from backend.app import create_app

    with mock.patch.dict(os.environ, {"COMPTOIR_DATA_DIR": str(data_dir)}):
        app = create_app()
    return sorted({r.path for r in app.routes if isinstance(r, HTTPRoute) and "GET" in r.methods})


def pages(data_dir: Path, tokens: dict[str, str]) -> list[PageRoute]:
    """Every page, its parameters filled from the demo data; an unknown parameter is an error, so a
    new page with one is noticed here rather than left out."""
    found = []
    with sqlite3.connect(f"file:{data_dir / 'comptoir.db'}?mode=ro", uri=True) as db:
        for path in get_routes(data_dir):
            if not_a_page(path):
                continue

            def value(match: re.Match[str], path: str = path) -> str:
                name = match.group(1)
                if name == "token":  # a secret link's: made by the test, as only its hash is kept
                    return tokens[path.strip("/").split("/")[0]]
                query = PARAMETERS.get((path.strip("/").split("/")[0], name))
                if query is None:
                    raise LookupError(f"{path}: no demo value for {{{name}}}: add it to PARAMETERS")
                return str(db.execute(query).fetchone()[0])

            found.append(PageRoute(path, re.sub(r"\{(\w+)(?::\w+)?\}", value, path)))
    return found


@dataclass
class Listener:
    """What went wrong in the browser since ``clear``: console errors, failed same-origin requests."""

    origin: str
    problems: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def clear(self) -> None:
        self.problems.clear()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text[:200]}")

    def _failed(self, request: Request) -> None:
        # A request cut short by the next navigation is not a fault of the page.
        if request.url.startswith(self.origin) and "ERR_ABORTED" not in (request.failure or ""):
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _response(self, response: Response) -> None:
        if response.url.startswith(self.origin) and response.status >= 500:
            self.problems.append(f"request answered {response.status}: {response.url}")


def htmx_errors(page: Page) -> list[str]:
    return [f"htmx error: {e}" for e in page.evaluate("window.__htmxErrors || []")]


def axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings. Evaluated through the debugging protocol, which the
    page's Content-Security-Policy does not govern: the policy stays as the pages have it."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate((AXE_DIR / AXE.filename).read_text())
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then((r) => r.violations)")
    return [
        f"axe {v['id']} ({v['impact']}): {v['help']}: "
        + ", ".join(json.dumps(node["target"][-1]) for node in v["nodes"][:4])
        for v in found
        if v["impact"] in {"serious", "critical"}
    ]


def layout_faults(page: Page) -> list[str]:
    return [
        f"{check}: {what}"
        for check, what in page.evaluate(CHECKS, {"minTarget": MIN_TARGET, "minChars": MIN_CHARS})
    ]


def screenshot(page: Page, role: str, size: str, slug: str) -> None:
    path = SCREENS / role / size / f"{slug}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True)
