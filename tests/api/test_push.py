"""Web Push through the app: the key, subscribing and unsubscribing over HTTP (an account, or a
tracking link for its own order only), the "me" page's settings, and the app's own dispatcher
sending to a push service of the tests' (``tests.push_service``), which checks the VAPID token and
decrypts each message as the browser would: what it reads is what the person should see, in their
language."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from backend.auth.rules import Role
from backend.orders import service as orders
from backend.orders.views import PlacedOrder
from backend.push.models import PushSubscription
from tests.api.conftest import Harness, csrf_token, post_form
from tests.api.order_fixtures import Shop, actor_for, build_shop, draft
from tests.push_service import Device, PushService


@pytest.fixture
async def shop(harness: Harness) -> Shop:
    return await build_shop(harness.db)


@pytest.fixture
async def push(harness: Harness) -> AsyncIterator[PushService]:
    async with harness.client() as client:
        key = (await client.get("/push/key")).json()["public_key"]
    service = await PushService(expected_key=key).start()
    try:
        yield service
    finally:
        await service.stop()


async def dispatching(harness: Harness) -> None:
    """The app's dispatcher holds the lease and knows where the log stands."""
    dispatcher = harness.app.state.push.dispatcher
    for _ in range(300):
        if dispatcher.active and dispatcher.position is not None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the app's dispatcher never became active")


async def place(harness: Harness, channel: str = "storefront") -> PlacedOrder:
    customer = actor_for(Role.CUSTOMER, harness.users[Role.CUSTOMER].id)
    return await orders.place_order(harness.db, customer, draft(channel=channel))


async def subscribe(client: httpx.AsyncClient, device: Device, **extra: object) -> httpx.Response:
    headers = {"x-csrftoken": await csrf_token(client), "accept": "application/json"}
    return await client.post("/push/subscriptions", json={**device.subscription(), **extra}, headers=headers)


async def test_the_key_is_the_apps_vapid_key_kept_in_the_data_dir(harness: Harness) -> None:
    async with harness.client() as client:
        answer = await client.get("/push/key")
    key = answer.json()["public_key"]
    assert answer.status_code == 200
    assert len(key) == 87  # base64url of a 65-byte P-256 point, unpadded
    assert "=" not in key
    assert harness.app.state.push.keys.public_key == key
    stored = harness.settings.data_dir / "vapid_private_key"
    assert stored.stat().st_mode & 0o777 == 0o600


async def test_an_owner_subscribed_is_told_of_a_new_order_in_french_with_what_accept_needs(
    harness: Harness, shop: Shop, push: PushService
) -> None:
    device = push.new_device()
    async with harness.signed_in(Role.OWNER) as client:
        client.headers["accept-language"] = "fr"
        answer = await subscribe(client, device, kinds=["new_order"])
    assert answer.status_code == 201
    assert answer.json()["kinds"] == ["new_order"]
    await dispatching(harness)
    order = await place(harness)
    [received] = await push.wait_for(1)
    assert received.payload["title"] == f"Nouvelle commande {order.number}"
    assert received.payload["body"] == "Ouvrez-la pour l’accepter ou la refuser."
    assert received.payload["url"] == f"/orders/{order.id}"
    assert received.payload["accept"]["version"] == 1
    assert received.payload["accept"]["label"] == "Accepter"
    assert (received.urgency, received.topic) == ("high", f"order-{order.id}")
    assert received.ttl == 600


async def test_a_tracking_link_hears_its_own_order_only(
    harness: Harness, shop: Shop, push: PushService
) -> None:
    mine, other = await place(harness), await place(harness)
    device = push.new_device()
    async with harness.client() as client:  # nobody signed in: the link is the key
        answer = await subscribe(client, device, token=mine.tracking_token)
    assert answer.status_code == 201
    assert answer.json()["order_id"] == mine.id
    assert "new_order" not in answer.json()["kinds"]
    await dispatching(harness)
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    await orders.accept_order(harness.db, owner, other.id)
    await orders.accept_order(harness.db, owner, mine.id)
    await push.wait_for(1)
    await asyncio.sleep(0.5)  # time enough for the other order's news, were it to come
    assert [r.payload["order_id"] for r in push.received] == [mine.id]
    assert push.received[0].payload["title"] == f"Order {mine.number} accepted"
    assert "url" not in push.received[0].payload  # the shopper's own page knows its link


async def test_who_may_subscribe(harness: Harness, shop: Shop, push: PushService) -> None:
    device = push.new_device()
    async with harness.client() as client:
        nobody = await subscribe(client, device)
        unknown = await subscribe(client, device, token="not-a-tracking-token")
        headers = {"accept": "application/json"}
        no_csrf = await client.post("/push/subscriptions", json=device.subscription(), headers=headers)
    async with harness.signed_in(Role.OWNER) as client:
        elsewhere = {**device.subscription(), "endpoint": "https://fcm.googleapis.com/fcm/send/abc"}
        headers = {"x-csrftoken": await csrf_token(client), "accept": "application/json"}
        internet = await client.post("/push/subscriptions", json=elsewhere, headers=headers)
        bad_key = await subscribe(client, device, keys={"p256dh": "AAAA", "auth": "AAAA"})
        not_hers = await subscribe(client, device, kinds=["accepted", "birthday"])
    assert nobody.status_code == 401
    assert unknown.status_code == 404
    assert no_csrf.status_code == 403
    assert internet.status_code == 422  # the tests' app never sends beyond this machine
    assert internet.json()["codes"] == {"endpoint": "invalid_endpoint"}
    assert bad_key.status_code == 422
    assert set(bad_key.json()["codes"]) == {"p256dh", "auth"}
    assert not_hers.status_code == 422  # a shopper's kind, and one that does not exist
    assert nobody.headers["content-type"].startswith("application/problem+json")
    async with harness.db.read() as session:
        assert (await session.scalars(select(PushSubscription))).all() == []


async def test_unsubscribing_forgets_the_device_and_only_its_owner_can(
    harness: Harness, shop: Shop, push: PushService
) -> None:
    device = push.new_device()
    body = {"endpoint": device.endpoint}
    async with harness.signed_in(Role.OWNER) as client:
        assert (await subscribe(client, device)).status_code == 201
    async with harness.signed_in(Role.STAFF) as client:
        headers = {"x-csrftoken": await csrf_token(client)}
        someone_else = await client.request("DELETE", "/push/subscriptions", json=body, headers=headers)
    async with harness.db.read() as session:
        assert len((await session.scalars(select(PushSubscription))).all()) == 1
    async with harness.signed_in(Role.OWNER) as client:
        headers = {"x-csrftoken": await csrf_token(client)}
        gone = await client.request("DELETE", "/push/subscriptions", json=body, headers=headers)
        again = await client.request("DELETE", "/push/subscriptions", json=body, headers=headers)
    assert someone_else.status_code == 204  # nothing of theirs: nothing forgotten
    assert (gone.status_code, again.status_code) == (204, 204)
    async with harness.db.read() as session:
        assert (await session.scalars(select(PushSubscription))).all() == []


async def test_the_me_page_lists_devices_each_switchable_and_removable(
    harness: Harness, shop: Shop, push: PushService
) -> None:
    phone, laptop = push.new_device(), push.new_device()
    async with harness.signed_in(Role.OWNER) as client:
        await subscribe(client, phone, kinds=["new_order"])
        await subscribe(client, laptop)
        me = await client.get("/me")
        listed = await client.get("/me/notifications")
        ids = [row.id for row in await _subscriptions(harness)]
        chose = await post_form(client, f"/me/notifications/{ids[0]}", {"kinds": ["low_stock", "accepted"]})
        removed = await post_form(client, f"/me/notifications/{ids[1]}/remove", {})
        after = await client.get("/me/notifications", headers={"hx-request": "true"})
    async with harness.signed_in(Role.STAFF) as client:
        not_theirs = await post_form(client, f"/me/notifications/{ids[0]}", {"kinds": ["new_order"]})
    assert 'hx-get="/me/notifications"' in me.text
    assert listed.text.count('name="kinds" value="new_order"') == 2
    assert 'value="accepted"' not in listed.text  # a shopper's kind: not offered to the team
    assert (chose.status_code, removed.status_code) == (303, 303)
    assert [(row.id, row.kinds) for row in await _subscriptions(harness)] == [(ids[0], ["low_stock"])]
    assert after.text.count("data-device=") == 1
    assert not_theirs.status_code == 404


async def _subscriptions(harness: Harness) -> list[PushSubscription]:
    async with harness.db.read() as session:
        return list(await session.scalars(select(PushSubscription).order_by(PushSubscription.id)))


async def test_the_places_that_ask_say_what_they_ask_for(harness: Harness, shop: Shop) -> None:
    order = await place(harness)
    async with harness.signed_in(Role.OWNER) as client:
        queue = await client.get("/orders")
    async with harness.client() as client:
        tracking = await client.get(f"/t/{order.tracking_token}?placed=1")
    assert 'data-kinds="new_order order_late"' in queue.text
    assert "Be told about new orders" in queue.text
    assert f'data-token="{order.tracking_token}"' in tracking.text
    assert "Tell me when it moves" in tracking.text
    for page in (queue, tracking):  # asked on a click, never on load: the box starts hidden
        assert "data-push-ask hidden" in page.text
