"""Every role's main pages, the shop and a tracking page, in real Chromium, under the
Content-Security-Policy the server sends: nothing they load or run is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.conftest import ContextFactory, first_page, sign_in, wait_for
from tests.browser.test_order_queue import _place
from tests.conftest import _run

pytestmark = pytest.mark.browser

PAGES = {
    "owner@demo.test": [
        "/", "/orders", "/orders/all", "/orders/new", "/orders/import", "/orders/1", "/customers",
        "/customers/1", "/catalog", "/catalog/new", "/catalog/1", "/catalog/import", "/stock",
        "/stock/count", "/stock/adjust", "/locations", "/purchase-orders", "/suppliers", "/team",
        "/settings", "/me", "/more",
    ],
    "staff@demo.test": ["/", "/orders", "/catalog"],
    "driver@demo.test": ["/", "/me"],
    "customer@demo.test": ["/shop", "/me"],
}  # fmt: skip
SHOPPER_PAGES = ["/shop", "/shop/cart", "/login", "/offline"]


def _watched(context: BrowserContext) -> Page:
    """A page that keeps every policy violation and every console error it meets."""
    context.add_init_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        "document.addEventListener('htmx:wsOpen', () => { window.socketOpened = true });"
    )
    page = first_page(context)
    page.errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    return page


def _visit(page: Page, paths: list[str]) -> list[str]:
    refused = []
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("load")
        wait_for(page, "window.htmx !== undefined")
        page.wait_for_timeout(150)  # the socket and the service worker start after load
        refused += [f"{path}: {v}" for v in page.evaluate("window.violations")]
    refused += [e for e in page.errors if "Content Security Policy" in e]  # type: ignore[attr-defined]
    return refused


@pytest.mark.parametrize("cdn_up", [True, False], ids=["cdn", "fallback"])
def test_no_page_of_any_role_breaks_the_content_security_policy(
    new_context: ContextFactory, cdn_up: bool
) -> None:
    for email, paths in PAGES.items():
        page = _watched(new_context(cdn_up=cdn_up))
        sign_in(page, email)
        wait_for(page, "document.body.dataset.signedIn === 'true'")
        assert _visit(page, paths) == [], email
        wait_for(page, "window.socketOpened === true")  # the live socket, allowed by connect-src
        assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")


def test_the_shop_and_a_tracking_page_break_nothing_either(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    order = _run(_place(server_data_dir))
    page = _watched(new_context())
    assert _visit(page, [*SHOPPER_PAGES, f"/t/{order.tracking_token}"]) == []
    wait_for(page, "window.socketOpened === true")  # its own socket, allowed by connect-src
    assert page.evaluate("window.violations") == []


def test_a_refused_inline_script_is_reported(new_context: ContextFactory) -> None:
    """The watch above can see a violation: one planted on purpose is caught."""
    page = _watched(new_context())
    page.goto("/shop")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.append(s) }"
    )
    wait_for(page, "window.violations.length > 0")
    assert page.evaluate("window.ran") is None
