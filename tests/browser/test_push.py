"""Web Push in Chromium: the service worker shows what a push message says, and the "Accept" action
of a new order's notification accepts the order from the notification itself, exactly once; the
"me" page's notification settings on a phone.

The message is handed to the worker through the debugging protocol
(``ServiceWorker.deliverPushMessage``), as a push service would once it has decrypted it: Chromium
without its vendor's push service cannot subscribe for real, and what the server sends is tested
end to end in ``tests/api/test_push.py``. No protocol command clicks a notification, so the test
dispatches a ``notificationclick`` event, with the notification the worker showed and its action,
in the worker itself (``Worker.evaluate``): the worker's own listener runs, as it does for a tap.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, CDPSession, Page, Worker
from sqlalchemy import delete, func, select

from backend.auth.models import User
from backend.kernel.db import Database
from backend.kernel.events import Event
from backend.orders import service as orders
from backend.orders.drafts import Address, CustomerDetails, OrderDraft, WantedLine
from backend.orders.models import Order
from backend.orders.rules import Actor
from backend.orders.views import PlacedOrder
from backend.push import service as push
from backend.push.messages import Said, render
from backend.push.models import PushSubscription
from backend.push.rules import Kind
from backend.push.service import BrowserSubscription, Owner
from backend.web import vendoring
from tests.browser import page_audit as audit
from tests.browser.conftest import ContextFactory, _unavailable, first_page, sign_in
from tests.browser.test_app_shell import OWNER, eventually, wait_for_worker
from tests.conftest import _run
from tests.push_service import PushService

pytestmark = pytest.mark.browser

ADDRESS = Address("12 rue Oberkampf", "Paris", "75011", "FR")
NOTIFICATIONS = "navigator.serviceWorker.ready.then((r) => r.getNotifications())"


def database(data_dir: Path) -> Database:
    return Database(f"sqlite+aiosqlite:///{data_dir / 'comptoir.db'}")


async def _place(data_dir: Path) -> PlacedOrder:
    shopper = CustomerDetails("Lou Client", f"lou-{uuid.uuid4().hex[:8]}@example.com")
    wanted = OrderDraft(shopper, [WantedLine("SAL-PENNE-500", 1)], "delivery", "card", "storefront", ADDRESS)
    db = database(data_dir)
    try:
        return await orders.place_order(db, Actor(None), wanted)
    finally:
        await db.dispose()


async def _acceptances(data_dir: Path, order_id: int) -> tuple[str, int]:
    db = database(data_dir)
    try:
        async with db.read() as session:
            status = await session.scalar(select(Order.status).where(Order.id == order_id))
            accepted = await session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.subject == f"order:{order_id}", Event.type == "order.accepted")
            )
            return str(status), int(accepted or 0)
    finally:
        await db.dispose()


def new_order_message(order: PlacedOrder) -> str:
    """What the dispatcher sends an owner for a new order (``push.planning``), in English."""
    said = Said("order.placed", order.number)
    accept = {"version": order.version, "key": secrets.token_urlsafe(16)}
    extra = {"order_id": order.id, "accept": accept}
    return render(Kind.NEW_ORDER, said, "en", url=f"/orders/{order.id}", tag=f"order-{order.id}", extra=extra)


def registration_of(context: BrowserContext, page: Page) -> tuple[CDPSession, str]:
    """The debugging protocol's session and the id of the page's service worker registration."""
    cdp = context.new_cdp_session(page)
    found: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: found.extend(r["registrationId"] for r in event["registrations"] if not r["isDeleted"]),
    )
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not found and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert found, "no service worker registration reported"
    return cdp, found[-1]


def worker_of(context: BrowserContext) -> Worker:
    for worker in context.service_workers:
        if worker.url.endswith("/sw.js"):
            return worker
    return context.wait_for_event("serviceworker")


def tap(worker: Worker, action: str) -> None:
    """What tapping the notification's ``action`` button does: the worker's own listener, given the
    notification it showed."""
    worker.evaluate(
        """async (action) => {
          const [notification] = await self.registration.getNotifications()
          self.dispatchEvent(new NotificationEvent('notificationclick', { notification, action }))
        }""",
        action,
    )


def test_a_new_order_notification_shows_and_its_accept_action_accepts_once(
    new_context: ContextFactory, server: str, server_data_dir: Path
) -> None:
    context = new_context()
    context.grant_permissions(["notifications"], origin=server)
    page = first_page(context)
    sign_in(page, OWNER)
    page.goto("/orders")
    wait_for_worker(page)
    order = _run(_place(server_data_dir))
    cdp, registration = registration_of(context, page)
    message = new_order_message(order)

    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server, "registrationId": registration, "data": message},
    )
    eventually(page, f"{NOTIFICATIONS}.then((found) => found.length === 1)")
    [shown] = page.evaluate(
        f"""{NOTIFICATIONS}.then((found) => found.map((n) => ({{
          title: n.title, body: n.body, tag: n.tag, icon: n.icon, badge: n.badge, data: n.data, at: n.timestamp,
          actions: n.actions.map((a) => a.action)
        }})))"""
    )
    assert shown["title"] == f"New order {order.number}"
    assert shown["body"] == "Open it to accept or decline it."
    assert shown["tag"] == f"order-{order.id}"
    assert shown["actions"] == ["accept", "open"]
    assert "icon-192" in shown["icon"]
    assert shown["data"]["url"] == f"/orders/{order.id}"

    # The same message again (a push service may deliver twice): it replaces the first.
    page.wait_for_timeout(20)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server, "registrationId": registration, "data": message},
    )
    eventually(
        page, f"{NOTIFICATIONS}.then((found) => found.length === 1 && found[0].timestamp > {shown['at']})"
    )

    worker = worker_of(context)
    tap(worker, "accept")
    deadline = time.monotonic() + 10
    while _run(_acceptances(server_data_dir, order.id)) != ("accepted", 1):
        assert time.monotonic() < deadline, _run(_acceptances(server_data_dir, order.id))
        page.wait_for_timeout(100)
    eventually(page, f"{NOTIFICATIONS}.then((found) => found.length === 0)")  # closed once tapped

    # The notification comes again and is tapped again: same key, answered from the stored result.
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server, "registrationId": registration, "data": message},
    )
    eventually(page, f"{NOTIFICATIONS}.then((found) => found.length === 1)")
    pages_before = len(context.pages)
    tap(worker, "accept")
    page.wait_for_timeout(1000)
    assert _run(_acceptances(server_data_dir, order.id)) == ("accepted", 1)
    assert len(context.pages) == pages_before  # accepted already: nothing to open


def test_accept_opens_the_order_when_it_cannot_be_accepted(
    new_context: ContextFactory, server: str, server_data_dir: Path
) -> None:
    context = new_context()
    context.grant_permissions(["notifications"], origin=server)
    page = first_page(context)
    sign_in(page, OWNER)
    page.goto("/orders")
    wait_for_worker(page)
    order = _run(_place(server_data_dir))
    stale: dict[str, Any] = json.loads(new_order_message(order))
    stale["accept"]["version"] = order.version + 5  # changed since it was announced
    cdp, registration = registration_of(context, page)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server, "registrationId": registration, "data": json.dumps(stale)},
    )
    eventually(page, f"{NOTIFICATIONS}.then((found) => found.length === 1)")
    page.goto("/me")  # the order's page is not open: the worker takes this window there
    tap(worker_of(context), "accept")
    page.wait_for_url(f"**/orders/{order.id}", timeout=10_000)
    assert _run(_acceptances(server_data_dir, order.id)) == ("placed", 0)


async def _devices_for(data_dir: Path, email: str, count: int) -> None:
    db = database(data_dir)
    service = PushService(port=9)  # never started: its devices only give well-made keys
    try:
        async with db.read() as session:
            user_id = await session.scalar(select(User.id).where(User.email == email))
        for kinds in (("new_order", "order_late"), None)[:count]:
            device = service.new_device()
            json_ = device.subscription()
            browser = BrowserSubscription(
                json_["endpoint"], json_["keys"]["p256dh"], json_["keys"]["auth"], "en", kinds
            )
            await db.run(push.subscribe, Owner(user_id=user_id), browser, True, True)
    finally:
        await db.dispose()


async def _forget_devices(data_dir: Path) -> None:
    db = database(data_dir)
    try:
        await db.run(_delete_all)
    finally:
        await db.dispose()


def _delete_all(tx: Any) -> None:
    tx.session.execute(delete(PushSubscription))


@pytest.fixture(scope="module")
def axe() -> None:
    with contextlib.suppress(vendoring.NpmNotFoundError):
        vendoring.vendor(audit.AXE_DIR, (audit.AXE,))
    if not vendoring.is_current(audit.AXE, audit.AXE_DIR):
        _unavailable("axe-core is not vendored and npm is not there to fetch it")


@pytest.mark.usefixtures("axe")
def test_the_me_page_shows_each_device_and_what_it_is_told_on_a_phone(
    page: Page, server_data_dir: Path
) -> None:
    _run(_devices_for(server_data_dir, OWNER, 2))
    try:
        sign_in(page, OWNER)
        page.goto("/me")
        section = page.locator("#notifications")
        section.locator("[data-device]").first.wait_for()
        assert section.locator("[data-device]").count() == 2
        first = section.locator("[data-device]").first
        assert first.locator("input[value=new_order]").is_checked()
        assert not first.locator("input[value=low_stock]").is_checked()
        audit.screenshot(page, "owner", "390x844", "me-notifications")
        assert audit.layout_faults(page) == []
        assert audit.axe_violations(page) == []

        first.locator("input[value=low_stock]").check()
        first.get_by_role("button", name="Save").click()
        section.get_by_text("Saved. This device is told what is ticked.").wait_for()
        assert section.locator("[data-device]").first.locator("input[value=low_stock]").is_checked()
        section.locator("[data-device]").nth(1).get_by_role("button", name="Remove this device").click()
        section.get_by_text("The device is no longer told anything.").wait_for()
        assert section.locator("[data-device]").count() == 1
        audit.screenshot(page, "owner", "390x844", "me-notifications-saved")
    finally:
        _run(_forget_devices(server_data_dir))
