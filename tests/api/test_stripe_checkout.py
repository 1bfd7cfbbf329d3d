"""Stripe Checkout, with no network: a payment link is asked of a local counterpart of Stripe's API
(the library's base address pointed at it), and recorded webhook payloads are signed the way Stripe
signs them (``Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "t.payload")``). A paid session is one
payment however often it is told; anything not signed with the secret is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.invoicing.models import Payment
from backend.orders import service as orders
from tests.api.conftest import Harness, MakeHarness
from tests.api.order_fixtures import actor_for, build_shop, draft

SECRET = "whsec_test_secret"
RECORDED = Path(__file__).parent / "stripe" / "checkout.session.completed.json"


class FakeStripe(BaseHTTPRequestHandler):
    """Stripe's ``POST /v1/checkout/sessions``, answering as Stripe does; keeps what it was sent."""

    received: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"])).decode()
        form = dict(urllib.parse.parse_qsl(body))
        FakeStripe.received.append({"path": self.path, "auth": self.headers.get("authorization", ""), **form})
        answer = {
            "id": "cs_test_a1b2c3",
            "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_a1b2c3",
            "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
            "currency": form["line_items[0][price_data][currency]"],
            "metadata": {"comptoir_target": form["metadata[comptoir_target]"]},
        }
        payload = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stripe_api() -> Iterator[str]:
    FakeStripe.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStripe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
async def shop_with_stripe(
    make_harness: MakeHarness, stripe_api: str, monkeypatch: pytest.MonkeyPatch
) -> Harness:
    monkeypatch.setenv("COMPTOIR_STRIPE_SECRET_KEY", "sk_test_local")
    monkeypatch.setenv("COMPTOIR_STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("COMPTOIR_STRIPE_API_BASE", stripe_api)
    harness = await make_harness()
    await build_shop(harness.db)
    return harness


def signed(payload: bytes, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={at},v1={mac}", "content-type": "application/json"}


def completed(target: str, amount: int, **changes: Any) -> bytes:
    event = json.loads(RECORDED.read_text())
    session = event["data"]["object"]
    session.update(
        {"amount_total": amount, "amount_subtotal": amount, "metadata": {"comptoir_target": target}}
    )
    session.update(changes)
    return json.dumps(event).encode()


async def payments(harness: Harness) -> int:
    async with harness.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Payment)) or 0)


async def placed(harness: Harness) -> Any:
    return await orders.place_order(harness.db, actor_for(Role.STAFF, harness.users[Role.STAFF].id), draft())


async def test_a_payment_link_for_an_orders_balance(shop_with_stripe: Harness) -> None:
    harness = shop_with_stripe
    order = await placed(harness)
    token = await harness.token(Role.STAFF)
    async with harness.client() as client:
        client.headers["Authorization"] = f"Bearer {token}"
        made = await client.post("/api/v1/payments/checkout", json={"order": order.id})
        assert made.status_code == 201, made.text
        assert made.json() == {
            "url": "https://checkout.stripe.com/c/pay/cs_test_a1b2c3",
            "amount_minor": order.total_minor,
            "currency": "EUR",
        }
        missing = await client.post("/api/v1/payments/checkout", json={"order": 99999})
        assert missing.status_code == 404
        both = await client.post("/api/v1/payments/checkout", json={"order": order.id, "invoice": 1})
        assert both.status_code == 422
    [sent] = FakeStripe.received
    assert sent["path"] == "/v1/checkout/sessions"
    assert sent["auth"] == "Bearer sk_test_local"
    assert sent["metadata[comptoir_target]"] == f"order:{order.id}"
    assert sent["line_items[0][price_data][unit_amount]"] == str(order.total_minor)
    assert sent["line_items[0][price_data][currency]"] == "eur"


async def test_the_signed_webhook_records_the_payment_once(shop_with_stripe: Harness) -> None:
    harness = shop_with_stripe
    order = await placed(harness)
    payload = completed(f"order:{order.id}", order.total_minor)
    async with harness.client() as client:
        first = await client.post("/api/v1/webhooks/stripe", content=payload, headers=signed(payload))
        again = await client.post("/api/v1/webhooks/stripe", content=payload, headers=signed(payload))
        assert (first.status_code, again.status_code) == (200, 200), first.text
        detail_token = await harness.token(Role.STAFF)
        detail = await client.get(
            f"/api/v1/orders/{order.id}", headers={"Authorization": f"Bearer {detail_token}"}
        )
    assert await payments(harness) == 1
    assert (detail.json()["paid_minor"], detail.json()["balance_minor"]) == (order.total_minor, 0)
    async with harness.db.read() as session:
        payment = await session.scalar(select(Payment))
    assert payment is not None
    assert (payment.method, payment.reference, payment.provider_ref) == (
        "card",
        "pi_3QdemoIntent",
        "stripe:cs_test_a1b2c3",
    )


@pytest.mark.parametrize(
    "headers",
    [
        lambda payload: signed(payload, secret="whsec_someone_else"),
        lambda payload: signed(payload, at=int(time.time()) - 3600),  # a capture replayed an hour later
        lambda payload: {"Stripe-Signature": "t=1,v1=00", "content-type": "application/json"},
        lambda payload: {"content-type": "application/json"},
    ],
)
async def test_anything_not_signed_by_stripe_is_refused(shop_with_stripe: Harness, headers: Any) -> None:
    harness = shop_with_stripe
    order = await placed(harness)
    payload = completed(f"order:{order.id}", order.total_minor)
    async with harness.client() as client:
        response = await client.post("/api/v1/webhooks/stripe", content=payload, headers=headers(payload))
    assert response.status_code == 400
    assert await payments(harness) == 0


async def test_unpaid_sessions_and_other_events_record_nothing(shop_with_stripe: Harness) -> None:
    harness = shop_with_stripe
    order = await placed(harness)
    unpaid = completed(f"order:{order.id}", order.total_minor, payment_status="unpaid")
    other = json.loads(completed(f"order:{order.id}", 100))
    other["type"] = "checkout.session.expired"
    expired = json.dumps(other).encode()
    async with harness.client() as client:
        for payload in (unpaid, expired):
            response = await client.post("/api/v1/webhooks/stripe", content=payload, headers=signed(payload))
            assert response.status_code == 200
    assert await payments(harness) == 0


async def test_without_configuration_online_payment_is_off(harness: Harness) -> None:
    await build_shop(harness.db)
    order = await placed(harness)
    payload = completed(f"order:{order.id}", order.total_minor)
    token = await harness.token(Role.STAFF)
    async with harness.client() as client:
        hook = await client.post("/api/v1/webhooks/stripe", content=payload, headers=signed(payload))
        link = await client.post(
            "/api/v1/payments/checkout",
            json={"order": order.id},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert hook.status_code == 404
    assert link.status_code == 409
