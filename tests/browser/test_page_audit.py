"""Every page each demo role can reach, on two phone sizes: nothing wider than the screen, no text
squeezed into a sliver, no console or htmx error (live updates included), targets big enough to
hit, named fields, no serious axe-core finding, and a title that says where you are.

The pages come from the app's routes (``page_audit.pages``): a new page is audited as soon as it
exists. A screenshot of each page per role and size lands in ``screens/`` (``make screens``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright
from sqlalchemy import select

from backend.auth import invitations
from backend.auth.models import User
from backend.orders.views import PlacedOrder
from backend.web import vendoring
from tests.browser import page_audit as audit
from tests.browser.conftest import (
    CDN_ROUTE,
    CHROMIUM,
    LAUNCH_ARGS,
    TILES_ROUTE,
    _cdn,
    _unavailable,
    blank_tiles,
    sign_in,
    wait_for,
)
from tests.browser.test_order_queue import _hold_then, _place, database
from tests.conftest import _run

pytestmark = pytest.mark.browser

ROLES = ("owner", "staff", "driver", "customer", "anonymous")
FIRST_SIZE = next(iter(audit.SIZES))

# Faults known and not fixed yet: (page slug, check, why). Each is a debt, not a rule: remove the
# line with the fix. The checks themselves are never relaxed here.
KNOWN_FAULTS: set[tuple[str, str, str]] = set()


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    with contextlib.suppress(vendoring.NpmNotFoundError):
        vendoring.vendor(audit.AXE_DIR, (audit.AXE,))
    if not vendoring.is_current(audit.AXE, audit.AXE_DIR):
        _unavailable("axe-core is not vendored and npm is not there to fetch it")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def tracked(server_data_dir: Path) -> PlacedOrder:
    """An order placed as a shopper would, whose tracking page is audited like the others."""
    return _run(_place(server_data_dir))


async def _invite(data_dir: Path) -> str:
    db = database(data_dir)
    try:
        async with db.read() as session:
            owner_id = await session.scalar(select(User.id).where(User.email == "owner@demo.test"))
        _, token = await invitations.invite(
            db, owner_id, email="new-driver@demo.test", name="Sam", role="driver", lifetime=timedelta(days=1)
        )
        return token
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def tokens(server_data_dir: Path, tracked: PlacedOrder) -> dict[str, str]:
    """The secret in each page path that has one, by the path's first segment."""
    return {"t": tracked.tracking_token, "invite": _run(_invite(server_data_dir))}


def _context(browser: Browser, server: str, role: str) -> tuple[BrowserContext, Page, audit.Listener]:
    context = browser.new_context(
        base_url=server, viewport=audit.SIZES["390x844"], locale="en-GB", is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    context.route(CDN_ROUTE, _cdn(True))
    context.route(TILES_ROUTE, blank_tiles)
    context.add_init_script(audit.HTMX_ERRORS)
    page = context.new_page()
    listener = audit.Listener(server)
    listener.attach(page)
    if role != "anonymous":
        sign_in(page, f"{role}@demo.test")
    return context, page, listener


def _settle(page: Page) -> None:
    """Until the requests htmx makes by itself once the page is there (rows loaded on load) are done."""
    wait_for(page, "document.readyState === 'complete' && !document.querySelector('.htmx-request')")


def _known(slug: str, fault: str) -> bool:
    return any(slug == page and fault.startswith(check) for page, check, _why in KNOWN_FAULTS)


def _audit(page: Page, listener: audit.Listener, route: audit.PageRoute, role: str, size: str) -> list[str]:
    audit.screenshot(page, role, size, route.slug)
    found = [*listener.problems, *audit.htmx_errors(page), *audit.layout_faults(page)]
    if size == FIRST_SIZE:  # axe reads names, roles and colours, which the width does not change
        found += audit.axe_violations(page)
    return [f"{route.url} as {role} at {size}: {fault}" for fault in found if not _known(route.slug, fault)]


def _fill_the_cart(page: Page) -> None:
    """The cart and the checkout are audited with something in them, as a shopper sees them."""
    page.goto("/shop")
    with page.expect_response("**/shop/cart"):
        page.locator("#offer button[form='add-to-cart']").first.click()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_is_whole_readable_and_usable_on_a_phone(
    role: str, browser: Browser, server: str, server_data_dir: Path, tokens: dict[str, str]
) -> None:
    context, page, listener = _context(browser, server, role)
    faults: list[str] = []
    audited = 0
    try:
        _fill_the_cart(page)
        for route in audit.pages(server_data_dir, tokens):
            for size, viewport in audit.SIZES.items():
                page.set_viewport_size(viewport)
                listener.clear()
                response = page.goto(route.url)
                status = response.status if response else 0
                if status in (401, 403):
                    break  # not this role's page: the guard said so
                _settle(page)
                if status != 200:
                    faults.append(f"{route.url} as {role} at {size}: answered {status}")
                    continue
                faults.extend(_audit(page, listener, route, role, size))
                audited += 1
    finally:
        context.close()
    assert audited, f"{role} reached no page at all"
    assert not faults, f"{len(faults)} faults on {role}'s pages:\n" + "\n".join(faults)


def _live_update(
    page: Page, listener: audit.Listener, role: str, url: str, change: Callable[[], str]
) -> list[str]:
    """Opens ``url``, has ``change`` happen on another device, and waits until what it returns (an
    expression) holds in the page: the socket's fragment has landed and been swapped in."""
    page.goto(url)
    _settle(page)
    listener.clear()
    wait_for(page, change())
    _settle(page)
    faults = [*listener.problems, *audit.htmx_errors(page), *audit.layout_faults(page)]
    return [f"{url} as {role}, after a live update: {fault}" for fault in faults]


def _placed(data_dir: Path) -> str:
    order = _run(_place(data_dir))
    return f"!!document.querySelector('#queue-card-{order.id}:not(.queue-card--loading)')"


def _held(data_dir: Path, order: PlacedOrder, shown: str) -> Callable[[], str]:
    return lambda: _run(_hold_then(data_dir, order)) or shown


@pytest.mark.parametrize("role", ["owner", "staff"])
def test_live_updates_land_on_the_home_the_queue_and_an_order_without_an_error(
    role: str, browser: Browser, server: str, server_data_dir: Path
) -> None:
    context, page, listener = _context(browser, server, role)
    newest = "document.querySelector('#activity [data-event-id]')?.dataset.eventId"
    order = _run(_place(server_data_dir))
    on_hold = "document.getElementById('order-summary')?.textContent.includes('On hold')"
    try:
        page.goto("/")
        before = page.evaluate(newest)
        faults = [
            *_live_update(
                page,
                listener,
                role,
                "/",
                lambda: _run(_place(server_data_dir)) and f"{newest} !== '{before}'",
            ),
            *_live_update(page, listener, role, "/orders", lambda: _placed(server_data_dir)),
            *_live_update(
                page, listener, role, f"/orders/{order.id}", _held(server_data_dir, order, on_hold)
            ),
        ]
    finally:
        context.close()
    assert not faults, "\n".join(faults)


def test_a_live_update_lands_on_a_shoppers_tracking_page_without_an_error(
    browser: Browser, server: str, server_data_dir: Path
) -> None:
    context, page, listener = _context(browser, server, "anonymous")
    order = _run(_place(server_data_dir))
    on_hold = "document.getElementById('status-title')?.dataset.status === 'on_hold'"
    try:
        faults = _live_update(
            page, listener, "anonymous", f"/t/{order.tracking_token}", _held(server_data_dir, order, on_hold)
        )
    finally:
        context.close()
    assert not faults, "\n".join(faults)
