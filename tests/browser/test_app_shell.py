"""The installable shell in a real browser: sign-in, service worker, offline, htmx, live updates."""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import ContextFactory, first_page, sign_in, wait_for

pytestmark = pytest.mark.browser

OWNER = "owner@demo.test"
STAFF = "staff@demo.test"


def watch_live_socket(context: BrowserContext) -> None:
    """Makes ``window.liveSocketOpen`` follow the htmx websocket extension's open/close events."""
    context.add_init_script(
        "document.addEventListener('htmx:wsOpen', () => { window.liveSocketOpen = true });"
        "document.addEventListener('htmx:wsClose', () => { window.liveSocketOpen = false });"
    )


def rename_the_shop_elsewhere(new_context: ContextFactory) -> None:
    """The owner, on a second device, records an event that every team member hears about."""
    other_device = first_page(new_context())
    sign_in(other_device, OWNER)
    other_device.goto("/settings")
    other_device.locator("#f-name").fill(f"Épicerie {uuid.uuid4().hex[:6]}")
    other_device.get_by_role("button", name="Save settings").click()
    expect(other_device.locator(".alert--success")).to_be_visible()


def wait_for_worker(page: Page) -> None:
    # Installing precaches every static file first: on a busy machine that has taken over 10 s.
    eventually(page, "navigator.serviceWorker.ready.then(() => true)", seconds=60)
    # Activated, but its claim may have raced a navigation: a page loaded now is always controlled.
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.reload()
    wait_for(page, "navigator.serviceWorker.controller !== null", seconds=15)


def eventually(page: Page, promise: str, arg: object = None, seconds: float = 10) -> None:
    """Polls a promise-returning expression (``wait_for_function`` does not await promises)."""
    deadline = time.monotonic() + seconds
    while not _holds(page, promise, arg):
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {seconds} s: {promise} ({arg})")
        page.wait_for_timeout(50)


def _holds(page: Page, promise: str, arg: object) -> bool:
    # A replayed offline form sends the page elsewhere: ask the page that is there once its
    # (deferred) scripts have run, and again if it navigates while being asked or its scripts
    # have not run yet (a mistyped name fails too, as "still false" with the expression).
    page.wait_for_load_state("load")
    try:
        return bool(page.evaluate(promise, arg))
    except PlaywrightError as exc:
        if not any(sign in str(exc) for sign in ("Execution context was destroyed", "is not defined")):
            raise
        return False


def reload(page: Page) -> None:
    """Reloads, or lets the page's own navigation stand in for it: a replayed offline form may send
    the page elsewhere while the reload starts, which aborts the reload (net::ERR_ABORTED)."""
    try:
        page.reload()
    except PlaywrightError as exc:
        if "ERR_ABORTED" not in str(exc):
            raise
        page.wait_for_load_state("load")


def goto(page: Page, url: str) -> None:
    """Goes to ``url`` once the page's own navigation, if one comes (a replayed offline form lands
    where a plain POST would have), has interrupted the first try."""
    try:
        page.goto(url)
    except PlaywrightError as exc:
        if "interrupted by another navigation" not in str(exc):
            raise
        page.wait_for_load_state("load")
        page.goto(url)


def wait_until_cached(page: Page, path: str) -> None:
    eventually(page, "path => caches.match(path).then(Boolean)", path)


def test_signing_in_through_the_form_lands_on_home_with_the_bottom_navigation(page: Page) -> None:
    sign_in(page, OWNER)

    assert page.url.endswith("/")
    expect(page.locator(".app-bar__title")).to_have_text("Home")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Menu")).to_be_visible()
    # Scrolled to the end: the page's last content must then sit above the fixed navigation.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    content_bottom = page.evaluate(
        "document.querySelector('.page > :last-child').getBoundingClientRect().bottom"
    )
    assert content_bottom <= nav.bounding_box()["y"], "the fixed navigation hides content"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"


def test_the_service_worker_activates_and_controls_the_page(page: Page) -> None:
    page.goto("/login")
    wait_for_worker(page)

    worker = page.evaluate(
        "navigator.serviceWorker.ready.then(r => ({url: r.active.scriptURL, state: r.active.state}))"
    )
    assert worker["url"].endswith("/sw.js")
    assert worker["state"] == "activated"
    caches = page.evaluate("caches.keys()")
    assert len(caches) == 1
    assert caches[0].startswith("comptoir-shell-")
    wait_until_cached(page, "/offline")


def test_the_app_is_installable(page: Page) -> None:
    page.goto("/login")
    wait_for_worker(page)

    cdp = page.context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []


def test_offline_a_page_never_visited_shows_the_offline_page(page: Page) -> None:
    sign_in(page, OWNER)
    wait_for_worker(page)
    wait_until_cached(page, "/offline")

    page.context.set_offline(True)
    page.goto("/team")

    expect(page.locator("[data-offline-page]")).to_be_visible()
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")


def test_offline_a_visited_page_reloads_from_the_cache(page: Page) -> None:
    sign_in(page, OWNER)
    wait_for_worker(page)
    page.reload()  # now through the worker, which keeps a copy
    wait_until_cached(page, "/")

    page.context.set_offline(True)
    page.reload()

    expect(page.locator(".lead")).to_have_text("Hello Camille Martin")
    expect(page.locator("#activity")).to_be_visible()
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")


def test_signing_out_forgets_the_pages_kept_for_offline(page: Page) -> None:
    sign_in(page, OWNER)
    wait_for_worker(page)
    page.reload()
    wait_until_cached(page, "/")

    page.goto("/more")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()

    eventually(page, "caches.match('/').then(kept => !kept)")
    wait_until_cached(page, "/offline")


@pytest.mark.parametrize("cdn_up", [True, False], ids=["cdn-up", "cdn-down"])
def test_htmx_and_its_socket_work_whether_the_cdn_answers_or_not(
    new_context: ContextFactory, cdn_up: bool
) -> None:
    context = new_context(cdn_up=cdn_up)
    watch_live_socket(context)
    page = first_page(context)
    local_copies: list[str] = []
    page.on("request", lambda request: "/static/vendor/" in request.url and local_copies.append(request.url))

    sign_in(page, OWNER)

    wait_for(page, "window.liveSocketOpen === true")
    assert page.evaluate("htmx.version") == "2.0.11"
    assert bool(local_copies) is not cdn_up


def test_a_change_made_elsewhere_appears_live_in_the_owners_activity(new_context: ContextFactory) -> None:
    context = new_context()
    watch_live_socket(context)
    owner = first_page(context)
    owner.clock.install()
    sign_in(owner, OWNER)
    wait_for(owner, "window.liveSocketOpen === true")
    owner.evaluate("window.sameDocument = true")
    before = owner.locator("#activity .feed__item").count()

    rename_the_shop_elsewhere(new_context)

    sentence = "Camille Martin updated the shop settings"
    expect(owner.locator("#activity .feed__item")).to_have_count(before + 1)
    expect(owner.locator("#activity .feed__item").first).to_contain_text(sentence)
    expect(owner.locator(".toast")).to_have_text(sentence)
    assert owner.evaluate("window.sameDocument") is True
    owner.clock.fast_forward(7_000)
    expect(owner.locator(".toast")).to_have_count(0)


def test_a_socket_that_reconnects_gets_what_it_missed_exactly_once(new_context: ContextFactory) -> None:
    context = new_context()
    watch_live_socket(context)
    owner = first_page(context)
    sign_in(owner, OWNER)
    wait_for(owner, "window.liveSocketOpen === true")
    before = owner.locator("#activity .feed__item").count()
    socket = "document.body['htmx-internal-data'].webSocket"
    owner.evaluate(f"{socket}.close()")
    wait_for(owner, "window.liveSocketOpen === false")

    rename_the_shop_elsewhere(new_context)

    seen = owner.get_attribute("#live-cursor", "data-last-event")
    with owner.expect_websocket() as reconnected:
        owner.evaluate(f"{socket}.publicInterface.reconnect()")
    assert f"since={seen}" in reconnected.value.url
    expect(owner.locator("#live-cursor")).not_to_have_attribute("data-last-event", seen)
    expect(owner.locator("#activity .feed__item")).to_have_count(before + 1)
