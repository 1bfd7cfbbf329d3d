"""Returns over HTTP (both engines): the API's request and moves (201, version checks, problem
JSON, replays under an Idempotency-Key), the customer's form from the tracking link, the team's
pages; and shared document links: recording opens and showing only their own document."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.documents.models import DocumentOpen
from backend.orders.rules import Actor
from backend.returns.models import Return
from tests.api.conftest import Harness, post_form
from tests.api.order_fixtures import build_shop, draft
from tests.returns_fixtures import Delivered, delivered_order

OWNER = Actor(None, ROLE_PERMISSIONS[Role.OWNER])
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


@pytest.fixture
async def order(harness: Harness) -> Delivered:
    await build_shop(harness.db)
    owner = Actor(harness.users[Role.OWNER].id, ROLE_PERMISSIONS[Role.OWNER])
    return await delivered_order(harness.db, owner, draft())


@pytest.fixture
async def api(harness: Harness):
    token = await harness.token(Role.OWNER)
    async with harness.client() as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


async def test_the_api_lifecycle(harness: Harness, order: Delivered, api) -> None:
    body = {"order": order.order_id, "lines": [{"sku": "APPLE", "quantity": 2, "reason": "damaged"}]}
    made = await api.post("/api/v1/returns", json=body)
    assert made.status_code == 201, made.text
    assert (made.json()["status"], made.json()["version"], made.json()["order"]) == (
        "requested",
        1,
        order.order_id,
    )
    rid = made.json()["id"]
    stale = await api.post(f"/api/v1/returns/{rid}/approve", json={"version": 7})
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert stale.json()["current_version"] == 1
    approved = await api.post(f"/api/v1/returns/{rid}/approve", json={"version": 1})
    assert approved.json()["status"] == "approved"
    received = await api.post(
        f"/api/v1/returns/{rid}/receive",
        json={"version": 2, "lines": [{"sku": "APPLE", "condition": "as_new"}]},
    )
    assert received.status_code == 200, received.text
    assert received.json()["lines"][0]["restocked"] == 2
    too_much = await api.post(f"/api/v1/returns/{rid}/refund", json={"amount_minor": 10**6})
    assert too_much.status_code == 422
    assert too_much.json()["errors"][0]["code"] == "refund_above_paid"
    key = {"Idempotency-Key": "refund-return-1"}
    refunded = await api.post(f"/api/v1/returns/{rid}/refund", json={"version": 3}, headers=key)
    again = await api.post(f"/api/v1/returns/{rid}/refund", json={"version": 3}, headers=key)
    assert refunded.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"
    assert refunded.json()["status"] == "refunded"
    assert refunded.json()["refund_minor"] == 500
    assert refunded.json()["credit_note_number"].startswith("AV-")
    listed = await api.get("/api/v1/returns?status=refunded")
    assert [item["id"] for item in listed.json()["items"]] == [rid]


async def test_bad_returns_are_problems_not_errors(harness: Harness, order: Delivered, api) -> None:
    cases = [
        ({"order": order.order_id, "lines": [{"sku": "APPLE", "quantity": 3, "reason": "damaged"}]}, 422),
        ({"order": order.order_id, "lines": [{"sku": "NOPE", "quantity": 1, "reason": "damaged"}]}, 422),
        ({"order": order.order_id, "lines": [{"sku": "APPLE", "quantity": 1, "reason": "bored"}]}, 422),
        ({"order": order.order_id, "lines": []}, 422),
        ({"order": 2**31 - 1, "lines": [{"sku": "APPLE", "quantity": 1, "reason": "damaged"}]}, 404),
        ({"order": 2**40, "lines": []}, 400),
    ]
    for body, status in cases:
        response = await api.post("/api/v1/returns", json=body)
        assert response.status_code == status, (body, response.text)
    assert (await api.post("/api/v1/returns/999/approve", json={})).status_code == 404
    async with harness.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Return)) == 0


async def test_a_customer_asks_from_the_tracking_link(harness: Harness, order: Delivered) -> None:
    async with harness.client() as client:
        page = await client.get(f"/t/{order.tracking_token}/return")
        assert page.status_code == 200
        assert 'name="qty-APPLE"' in page.text
        refused = await post_form(
            client, f"/t/{order.tracking_token}/return", {"qty-APPLE": "9", "reason-APPLE": "damaged"}
        )
        assert refused.status_code == 400
        sent = await post_form(
            client,
            f"/t/{order.tracking_token}/return",
            {"qty-APPLE": "1", "reason-APPLE": "damaged", "qty-PEAR": "0"},
        )
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/t/{order.tracking_token}?return=asked"
        panel = await client.get(f"/t/{order.tracking_token}/returns")
        assert "Requested" in panel.text
        assert (await client.get("/t/not-a-token/return")).status_code == 404
    async with harness.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Return)) == 1


async def test_the_team_pages(harness: Harness, order: Delivered) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        await post_form(
            client, f"/t/{order.tracking_token}/return", {"qty-APPLE": "1", "reason-APPLE": "other"}
        )
        async with harness.db.read() as session:
            rid = await session.scalar(select(Return.id))
        listing = await client.get("/returns")
        assert listing.status_code == 200
        assert f'data-return="{rid}"' in listing.text
        refused = await post_form(client, f"/returns/{rid}/refuse", {"version": "1", "note": ""})
        assert refused.status_code == 400
        approved = await post_form(client, f"/returns/{rid}/approve", {"version": "1"})
        assert approved.status_code == 303
        stale = await post_form(
            client, f"/returns/{rid}/receive", {"version": "1", "condition-APPLE": "as_new"}
        )
        assert stale.status_code == 409
        received = await post_form(
            client, f"/returns/{rid}/receive", {"version": "2", "condition-APPLE": "as_new"}
        )
        assert received.status_code == 303
        refunded = await post_form(
            client, f"/returns/{rid}/refund", {"version": "3", "method": "card", "amount": ""}
        )
        assert refunded.status_code == 303, refunded.text
        shown = await client.get(f"/returns/{rid}")
        assert "Refunded" in shown.text
        panel = await client.get(f"/orders/{order.order_id}/returns")
        assert f'data-return="{rid}"' in panel.text
        window = await post_form(client, "/returns/window", {"window_days": "30", "version": "0"})
        assert window.status_code == 303


async def test_document_links_record_opens_and_show_only_their_document(
    harness: Harness, order: Delivered
) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        panel = await client.get(f"/orders/{order.order_id}/documents")
        assert f'value="invoice:{order.invoice_id}"' in panel.text
        made = await post_form(
            client,
            "/documents/links",
            {
                "document": f"invoice:{order.invoice_id}",
                "recipient": "the customer",
                "back": f"/orders/{order.order_id}",
            },
        )
        assert made.status_code == 200
        url = re.search(r"https?://testserver(/d/[A-Za-z0-9_-]+)", made.text)
        assert url is not None
        link = url.group(1)
        staff_open = await client.get(link)  # the team checking the link: kept, not counted
        assert staff_open.status_code == 200
    async with harness.client() as stranger:
        opened = await stranger.get(link, headers={"User-Agent": PHONE})
        assert opened.status_code == 200
        assert opened.headers["content-type"] == "application/pdf"
        assert opened.content.startswith(b"%PDF")
        assert "noindex" in opened.headers["x-robots-tag"]
        assert opened.headers["referrer-policy"] == "no-referrer"
        assert opened.headers["cache-control"] == "no-store"
        assert (await stranger.get(link[:-2] + "xx")).status_code == 404
        # The link opens its document, nothing else: no panel, no order, no other document.
        assert (await stranger.get(f"/orders/{order.order_id}/documents")).status_code in (302, 303, 401)
        assert (await stranger.get(f"/documents/invoice/{order.invoice_id}")).status_code in (302, 303, 401)
    async with harness.db.read() as session:
        devices = list(await session.scalars(select(DocumentOpen.device).order_by(DocumentOpen.id)))
    assert devices[-1] == "phone"
    assert len(devices) == 2
    async with harness.signed_in(Role.OWNER) as client:
        panel = await client.get(f"/orders/{order.order_id}/documents")
        assert "Opened by the customer 1 time" in panel.text
