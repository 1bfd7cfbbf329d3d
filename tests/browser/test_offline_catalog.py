"""The catalog without a network: read from the worker's cache, edits queued and replayed once."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, Request, Response, Route, expect

from tests.browser.conftest import ContextFactory, first_page, sign_in
from tests.browser.test_app_shell import OWNER, eventually, reload, wait_for_worker, wait_until_cached

pytestmark = pytest.mark.browser

# Any cached htmx fragment (pwa/sw.js keeps them under their URL plus this marker).
FRAGMENT_CACHED = """async () => {
  for (const name of await caches.keys()) {
    const keys = await (await caches.open(name)).keys()
    if (keys.some((request) => request.url.includes('_fragment=1'))) return true
  }
  return false
}"""


SYNC_REGISTERED = (
    "() => navigator.serviceWorker.ready.then((r) => r.sync.getTags()).then((tags) => tags.length > 0)"
)
OUTBOX_EMPTY = "() => ComptoirOutbox.list(document.body.dataset.user).then((records) => !records.length)"


def wait_until(page: Page, condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {seconds} s")
        page.wait_for_timeout(50)


def create_product(page: Page, name: str, category: str = "") -> int:
    """Through the real form, online; ends on the product's page."""
    page.goto("/catalog/new")
    page.locator("#f-sku").fill(f"sku-{uuid.uuid4().hex[:8]}")
    page.locator("#f-name").fill(name)
    page.locator("#f-price").fill("4.00")
    page.locator("#f-category").fill(category)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/catalog/\d+\?saved=true$"))
    return int(re.search(r"/catalog/(\d+)", page.url).group(1))


def owner_on_a_cached_product(page: Page, name: str, category: str = "") -> int:
    """Signed in as the owner, on a new product's page, which the worker keeps for offline reading."""
    sign_in(page, OWNER)
    wait_for_worker(page)
    product = create_product(page, name, category)
    page.goto(f"/catalog/{product}")
    wait_until_cached(page, f"/catalog/{product}")
    return product


def posts_to(page: Page, *products: int) -> list[Request]:
    """Every edit of these products that leaves the browser, whoever sends it (page or worker)."""
    paths = tuple(f"/catalog/{product}" for product in products)
    seen: list[Request] = []
    page.context.on(
        "request",
        lambda request: request.method == "POST" and request.url.endswith(paths) and seen.append(request),
    )
    return seen


def edit_price_offline(page: Page, product: int, price: str) -> None:
    page.context.set_offline(True)
    page.goto(f"/catalog/{product}")  # from the worker's cache
    page.locator("#f-price").fill(price)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "1")


def expect_saved(page: Page, product: int, price: str, version: int) -> None:
    expect(page).to_have_url(re.compile(rf"/catalog/{product}\?saved=true$"))
    expect(page.locator("#f-price")).to_have_value(price)
    expect(page.locator("input[name=version]")).to_have_value(str(version))
    expect(page.locator("#outbox")).to_be_hidden()
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "0")


def test_the_catalog_list_and_a_visited_product_open_offline(page: Page) -> None:
    name, category = "Rooibos", f"Infusions {uuid.uuid4().hex[:6]}"
    product = owner_on_a_cached_product(page, name, category)
    page.goto("/catalog")
    wait_until_cached(page, "/catalog")
    # Filtering through htmx. (A search by text is not used: see the report on `category=`.)
    page.locator("#f-category").select_option(label=category)
    expect(page.locator("#product-rows > li")).to_have_count(1)
    eventually(page, FRAGMENT_CACHED)

    page.context.set_offline(True)
    page.goto("/catalog")
    expect(page.locator(f"#product-{product}")).to_contain_text(name)
    page.locator("#f-category").select_option(label=category)  # answered from the cache
    expect(page.locator("#product-rows > li")).to_have_count(1)
    page.locator(f"#product-{product} a").click()

    expect(page).to_have_url(re.compile(rf"/catalog/{product}$"))
    expect(page.locator("#f-name")).to_have_value(name)
    expect(page.locator("[data-offline-page]")).to_have_count(0)
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")


def without_background_sync(context: BrowserContext) -> None:
    """As in browsers without Background Sync: only the page can send the outbox."""
    context.add_init_script(
        "Object.defineProperty(ServiceWorkerRegistration.prototype, 'sync', { get: () => undefined })"
    )


# Whether the worker's copy of a page shows the given version of its product.
CACHED_VERSION = """([path, version]) => caches.match(path)
  .then((copy) => copy ? copy.text() : '')
  .then((html) => html.includes(`name="version" value="${version}"`))"""


def test_an_edit_made_offline_waits_on_the_phone_and_is_sent_once_online(
    new_context: ContextFactory,
) -> None:
    context = new_context()
    without_background_sync(context)
    page = first_page(context)
    product = owner_on_a_cached_product(page, "Sencha")
    posts = posts_to(page, product)

    edit_price_offline(page, product, "7.25")

    outbox = page.locator("#outbox")
    expect(outbox).to_be_visible()
    expect(outbox.locator("summary")).to_contain_text("1 to send")
    outbox.locator("summary").click()
    expect(outbox.locator(".outbox__item")).to_contain_text("Product changes")
    expect(outbox.locator(".outbox__item")).to_contain_text("will be sent when online")
    page.wait_for_timeout(500)  # time enough for anything (page or worker) to try sending
    assert posts == []

    page.context.set_offline(False)

    expect_saved(page, product, "7.25", version=2)
    assert len(posts) == 1
    assert posts[0].service_worker is None  # the page sent it
    # The copy kept for offline reading was refreshed: editing it offline again is not stale.
    eventually(page, CACHED_VERSION, [f"/catalog/{product}", 2])


def test_with_no_page_open_the_worker_sends_the_outbox_once_online(page: Page) -> None:
    product = owner_on_a_cached_product(page, "Kukicha")
    posts = posts_to(page, product)
    edit_price_offline(page, product, "9.90")
    eventually(page, SYNC_REGISTERED)
    page.goto("about:blank")  # nothing of the app is open: only Background Sync can send it

    page.context.set_offline(False)

    wait_until(page, lambda: bool(posts))
    assert posts[0].service_worker is not None
    assert posts[0].response().status == 303  # answered before the page below is asked for
    page.goto(f"/catalog/{product}")
    expect(page.locator("#f-price")).to_have_value("9.90")
    expect(page.locator("input[name=version]")).to_have_value("2")
    eventually(page, OUTBOX_EMPTY)
    assert len(posts) == 1


def test_edits_queued_offline_are_sent_in_the_order_they_were_made(page: Page) -> None:
    first = owner_on_a_cached_product(page, "Oolong")
    second = create_product(page, "Pu-erh")
    page.goto(f"/catalog/{second}")
    wait_until_cached(page, f"/catalog/{second}")
    posts = posts_to(page, first, second)
    edit_price_offline(page, second, "3.30")
    page.goto(f"/catalog/{first}")
    page.locator("#f-price").fill("1.10")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#outbox summary")).to_contain_text("2 to send")

    page.context.set_offline(False)

    expect_saved(page, first, "1.10", version=2)
    assert [request.url.rsplit("/", 1)[1] for request in posts] == [str(second), str(first)]
    page.goto(f"/catalog/{second}")
    expect(page.locator("#f-price")).to_have_value("3.30")


def test_a_replay_whose_answer_was_lost_is_applied_once(page: Page) -> None:
    product = owner_on_a_cached_product(page, "Genmaicha")
    edit_price_offline(page, product, "8.10")
    answers: list[Response] = []
    page.context.on(
        "response",
        lambda response: (
            response.request.method == "POST"
            and response.url.endswith(f"/catalog/{product}")
            and answers.append(response)
        ),
    )
    lost: list[int] = []

    def lose_the_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        lost.append(route.fetch(max_redirects=0).status)  # the server applies the change...
        route.abort("connectionreset")  # ...and the phone never hears back

    page.context.route(f"**/catalog/{product}", lose_the_answer)
    page.context.set_offline(False)
    wait_until(page, lambda: bool(lost))
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "1")  # it may not have arrived
    page.context.unroute(f"**/catalog/{product}")

    reload(page)  # a page load replays what is still queued, with the same key

    wait_until(page, lambda: bool(answers) and answers[0].finished() is None)  # page or worker
    page.goto(f"/catalog/{product}")
    expect(page.locator("#f-price")).to_have_value("8.10")
    expect(page.locator("input[name=version]")).to_have_value("2")  # applied once, though sent again
    eventually(page, OUTBOX_EMPTY)
    assert set(lost) == {303}  # (the page and the worker may both have tried while answers were lost)
    assert [answer.headers.get("idempotent-replayed") for answer in answers] == ["true"]


def change_price_elsewhere(new_context: ContextFactory, product: int, price: str) -> None:
    """The owner, on a second device that stays online, saves another price meanwhile."""
    other_device = first_page(new_context())
    sign_in(other_device, OWNER)
    other_device.goto(f"/catalog/{product}")
    other_device.locator("#f-price").fill(price)
    other_device.get_by_role("button", name="Save").click()
    expect_saved(other_device, product, price, version=2)


def test_an_offline_edit_of_a_product_changed_meanwhile_shows_both_prices_to_choose_from(
    new_context: ContextFactory,
) -> None:
    page = first_page(new_context())
    product = owner_on_a_cached_product(page, "Matcha")
    edit_price_offline(page, product, "5.50")
    change_price_elsewhere(new_context, product, "6.60")

    page.context.set_offline(False)

    conflict = page.locator("[data-conflict]")
    expect(conflict).to_be_visible()
    expect(conflict.locator("td[data-theirs]")).to_have_text("6.60")
    expect(conflict.locator("td[data-mine]")).to_have_text("5.50")
    outbox = page.locator("#outbox")
    expect(outbox).to_have_attribute("data-attention", "1")
    expect(outbox).to_have_attribute("data-pending", "0")
    expect(outbox.locator("summary")).to_contain_text("1 to check")
    expect(page.locator("#f-price")).to_have_value("5.50")

    page.get_by_role("button", name="Save mine").click()

    expect_saved(page, product, "5.50", version=3)
    expect(outbox).to_have_attribute("data-attention", "0")


def test_a_conflict_waits_in_the_outbox_and_keeping_what_is_saved_discards_the_edit(
    new_context: ContextFactory,
) -> None:
    page = first_page(new_context())
    product = owner_on_a_cached_product(page, "Hojicha")
    page.goto("/catalog")
    wait_until_cached(page, "/catalog")
    edit_price_offline(page, product, "5.50")
    change_price_elsewhere(new_context, product, "6.60")
    page.goto("/catalog")  # from the cache: the edit was made on another page

    page.context.set_offline(False)

    outbox = page.locator("#outbox")
    expect(outbox).to_have_attribute("data-attention", "1")
    expect(page.locator("[data-conflict]")).to_have_count(0)  # nothing is shown under the owner's feet
    outbox.locator("summary").click()
    item = outbox.locator(".outbox__item")
    expect(item).to_contain_text("changed meanwhile, needs your choice")
    item.get_by_role("button", name="Review").click()
    expect(page.locator("[data-conflict] td[data-mine]")).to_have_text("5.50")

    page.get_by_role("link", name="Keep what is saved").click()

    expect(page).to_have_url(re.compile(rf"/catalog/{product}$"))
    expect(page.locator("#f-price")).to_have_value("6.60")
    expect(page.locator("input[name=version]")).to_have_value("2")
    expect(outbox).to_be_hidden()
    expect(outbox).to_have_attribute("data-attention", "0")
