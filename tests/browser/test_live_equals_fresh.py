"""Live pages end where a fresh load starts: with a page open, the shop changes orders from
elsewhere; once the page has taken the live fragments it was sent (htmx swapping them in by id),
the parts they touch must read exactly as the same page loaded afresh. A fragment that drew a part
wrong, or left it out, shows here as a difference."""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from backend.auth.rules import Permission
from backend.dashboard.service import FEED_LENGTH
from backend.kernel.events import Event, latest_event_id
from backend.orders import service
from backend.orders.drafts import WantedLine
from backend.orders.editing import OrderEdit, edit_order
from backend.orders.rules import Actor
from backend.orders.views import PlacedOrder
from tests.browser.conftest import ContextFactory, first_page, sign_in
from tests.browser.test_app_shell import OWNER
from tests.browser.test_order_queue import _place, database
from tests.conftest import _run

pytestmark = pytest.mark.browser

SHOP = Actor(None, frozenset(Permission))  # the shop, from another device
QUEUE = ["#queue-count", "#order-queue"]
ORDER_PAGE = [
    "#order-summary",
    "#order-risk",
    "#order-customer",
    "#order-lines",
    "#order-actions",
    "#order-timeline",
]
TRACKING = ["#tracking"]
FEED = "#activity > li"  # a fresh feed shows the latest few; the live one keeps what came before too
# Parts that differ from one rendering to the next whatever the events: a form's fresh
# idempotency key, a relative time ("just now"), when a tracking page was drawn, how long an order
# has waited, htmx's passing classes, the spaces between tags.
_NOISE = [
    (re.compile(r"\b[0-9a-f]{32}\b|\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b"), "KEY"),
    (re.compile(r"(<time\b[^>]*>)[^<]*(</time>)"), r"\1\2"),
    (re.compile(r"\s*\bhtmx-(?:added|settling|swapping|request)\b"), ""),
    (re.compile(r' class=""'), ""),
    (re.compile(r"(<span data-waited=\"\">)[^<]*"), r"\1"),  # "waiting for 5 minutes", counted by the page
    (re.compile(r'(id="seen-at">)[^<]*'), r"\1"),  # "As of 10:34 PM": when it was drawn, to the minute
    (re.compile(r' queue-card--late| data-late=""'), ""),  # waiting too long: the page's clock says
    (re.compile(r"\s+"), " "),
    (re.compile(r"\s*(<|>)\s*"), r"\1"),
]


def _normal(html: str) -> str:
    for pattern, replacement in _NOISE:
        html = pattern.sub(replacement, html)
    return html.strip()


def regions(page: Page, selectors: list[str]) -> list[str | None]:
    """The parts' HTML; of the feed, its first items, as many as a fresh load shows."""
    found = page.evaluate(
        """([sels, feed, length]) => sels.map((s) => s === feed
            ? [...document.querySelectorAll(s)].slice(0, length).map((item) => item.outerHTML).join('')
            : document.querySelector(s)?.outerHTML ?? null)""",
        [selectors, FEED, FEED_LENGTH],
    )
    return [None if html is None else _normal(html) for html in found]


def _latest(data_dir: Path, order_id: int | None = None) -> int:
    """The last event in the log; with ``order_id``, that order's last."""

    async def latest() -> int:
        db = database(data_dir)
        try:
            async with db.read() as session:
                if order_id is None:
                    return await latest_event_id(session)
                query = select(func.max(Event.id)).where(Event.subject == f"order:{order_id}")
                return int(await session.scalar(query) or 0)
        finally:
            await db.dispose()

    return _run(latest())


def _change(data_dir: Path, change: Callable[..., object], *args: object, **kwargs: object) -> None:
    async def run() -> None:
        db = database(data_dir)
        try:
            await change(db, SHOP, *args, **kwargs)
        finally:
            await db.dispose()

    _run(run())


def assert_live_equals_fresh(
    page: Page, selectors: list[str], heard: Callable[[int], bool], last: int
) -> None:
    """Once the page heard event ``last``, its parts come to read as a fresh load's (the fragments'
    own requests take a moment), within a few seconds."""
    deadline = time.monotonic() + 10
    while not heard(last):
        assert time.monotonic() < deadline, f"the page never heard event {last}"
        page.wait_for_timeout(50)
    fresh_page = page.context.new_page()
    fresh_page.goto(page.url)
    fresh_page.wait_for_load_state("networkidle")  # the parts a page loads in (returns, invoicing)
    fresh = regions(fresh_page, selectors)
    fresh_page.close()
    assert all(part is not None for part in fresh), fresh
    live = regions(page, selectors)
    while live != fresh and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        live = regions(page, selectors)
    assert live == fresh, _difference(live, fresh)


def _difference(live: list[str | None], fresh: list[str | None]) -> str:
    """Where the live page differs from a fresh load, tag by tag."""

    def tags(parts: list[str | None]) -> list[str]:
        return re.sub(r"(<[^/])", r"\n\1", "".join(str(part) for part in parts)).splitlines()

    lines = difflib.unified_diff(tags(fresh), tags(live), "fresh", "live", lineterm="")
    return "\n".join(lines)


def _cursor(page: Page) -> Callable[[int], bool]:
    def heard(event_id: int) -> bool:
        last = page.locator("#live-cursor").get_attribute("data-last-event") or "0"
        return int(last) >= event_id

    return heard


def _owner_on(page: Page, path: str) -> None:
    sign_in(page, OWNER)
    page.goto(path)
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")


def _steps(data_dir: Path, first: PlacedOrder, second: PlacedOrder) -> list[tuple[int, Callable[[], None]]]:
    """A morning at the shop, order by order: holds, a release, an edit, decisions, a cancellation."""
    return [
        (first.id, lambda: _change(data_dir, service.hold_order, first.id, "Check the payment")),
        (
            second.id,
            lambda: _change(data_dir, edit_order, second.id, OrderEdit([WantedLine("SAL-PENNE-500", 3)])),
        ),
        (first.id, lambda: _change(data_dir, service.release_order, first.id)),
        (second.id, lambda: _change(data_dir, service.accept_order, second.id)),
        (second.id, lambda: _change(data_dir, service.hold_order, second.id, "The customer called")),
        (first.id, lambda: _change(data_dir, service.reject_order, first.id, "Out of season")),
        (second.id, lambda: _change(data_dir, service.release_order, second.id)),
        (second.id, lambda: _change(data_dir, service.cancel_order, second.id, "Called off")),
    ]


def test_the_acceptance_queue_follows_changes_as_a_fresh_load_shows_them(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    page = first_page(new_context())
    _owner_on(page, "/orders")
    first, second = _run(_place(server_data_dir)), _run(_place(server_data_dir))
    assert_live_equals_fresh(page, QUEUE, _cursor(page), _latest(server_data_dir))
    for _, step in _steps(server_data_dir, first, second):
        step()
        assert_live_equals_fresh(page, QUEUE, _cursor(page), _latest(server_data_dir))


def test_an_order_page_follows_changes_as_a_fresh_load_shows_them(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    first, second = _run(_place(server_data_dir)), _run(_place(server_data_dir))
    page = first_page(new_context())
    _owner_on(page, f"/orders/{second.id}")
    for _, step in _steps(server_data_dir, first, second):
        step()
        assert_live_equals_fresh(page, ORDER_PAGE, _cursor(page), _latest(server_data_dir))


def test_the_tracking_page_follows_changes_as_a_fresh_load_shows_them(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    first, second = _run(_place(server_data_dir)), _run(_place(server_data_dir))
    page = first_page(new_context())  # the shopper's phone: nobody signed in
    page.goto(f"/t/{second.tracking_token}")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")

    def heard(event_id: int) -> bool:
        return int(page.locator("#tracking-changed").get_attribute("data-event") or "0") >= event_id

    for order_id, step in _steps(server_data_dir, first, second):
        step()
        if order_id == second.id:  # the page hears of its own order only
            assert_live_equals_fresh(page, TRACKING, heard, _latest(server_data_dir, second.id))


def test_the_home_feed_follows_changes_as_a_fresh_load_shows_them(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    page = first_page(new_context())
    _owner_on(page, "/")
    first, second = _run(_place(server_data_dir)), _run(_place(server_data_dir))
    for _, step in [(0, lambda: None), *_steps(server_data_dir, first, second)]:
        step()
        assert_live_equals_fresh(page, [FEED], _cursor(page), _latest(server_data_dir))
