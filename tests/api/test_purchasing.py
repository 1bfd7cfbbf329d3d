"""Suppliers and purchase orders: drafting, sending, receiving on the phone into stock (which fills
backorders first), and a state machine that refuses every move it does not allow."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from backend.auth.rules import Role
from backend.inventory.commands import reserve_stock
from backend.inventory.models import Reservation, StockMovement
from backend.inventory.rules import Line
from backend.kernel.tx import Tx
from backend.purchasing import service
from backend.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from backend.purchasing.reorder import draft_reorder
from backend.purchasing.service import Receipt
from tests.api.conftest import Harness, post_form
from tests.api.stock_fixtures import add_location, add_product, level
from tests.api.stock_helpers import event_types, ledger_mismatches
from tests.writing import add


@pytest.fixture
async def setting(harness: Harness) -> dict[str, int]:
    warehouse = await add_location(harness.db, "WH", default=True)
    supplier = await harness.db.run(add, Supplier(name="Orchard", email="sales@orchard.test"))
    apple = await add_product(harness.db, "APPLE", supplier_id=supplier)
    pear = await add_product(harness.db, "PEAR", backorder=True, supplier_id=supplier)
    return {"warehouse": warehouse, "supplier": supplier, "apple": apple, "pear": pear}


def _with_line(tx: Tx, order: PurchaseOrder, line: PurchaseOrderLine) -> tuple[int, int]:
    """Command: a purchase order and its one line; returns (order id, line id)."""
    tx.session.add(order)
    tx.session.flush()
    line.purchase_order_id = order.id
    tx.session.add(line)
    tx.session.flush()
    return order.id, line.id


async def _order(harness: Harness, order_id: int) -> PurchaseOrder:
    async with harness.db.read() as session:
        return await session.get(PurchaseOrder, order_id)


async def _draft(client, setting: dict[str, int]) -> int:
    created = await post_form(
        client, "/purchase-orders/new", {"supplier": setting["supplier"], "location": setting["warehouse"]}
    )
    assert created.status_code == 303, created.text
    return int(re.search(r"/purchase-orders/(\d+)", created.headers["location"]).group(1))


async def _act(client, order_id: int, action: str, version: int, **fields: object):
    return await post_form(client, f"/purchase-orders/{order_id}/{action}", {"version": version, **fields})


async def test_a_purchase_order_goes_from_draft_to_received_and_its_goods_into_stock(
    harness: Harness, setting: dict[str, int]
) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        order_id = await _draft(client, setting)
        assert (await _act(client, order_id, "lines", 1, product="apple", quantity="6")).status_code == 303
        assert (await _act(client, order_id, "lines", 2, product="APPLE", quantity="4")).status_code == 303
        assert (await _act(client, order_id, "lines", 3, product="PEAR", quantity="1")).status_code == 303
        async with harness.db.read() as session:
            pear_line = await session.scalar(
                select(PurchaseOrderLine).where(PurchaseOrderLine.product_id == setting["pear"])
            )
        assert (await _act(client, order_id, f"lines/{pear_line.id}/remove", 4)).status_code == 303
        assert (await _act(client, order_id, "send", 5)).status_code == 303
        page = await client.get(f"/purchase-orders/{order_id}/receive")
        line_id = int(re.search(r'name="received_(\d+)"', page.text).group(1))
        partly = await _act(client, order_id, "receive", 6, **{f"received_{line_id}": "7"})
        after_partly = (await _order(harness, order_id)).status
        rest = await _act(client, order_id, "receive", 7, **{f"received_{line_id}": "3"})
        listing = await client.get("/purchase-orders")
        ledger = await client.get(f"/stock/products/{setting['apple']}")
    assert partly.status_code == rest.status_code == 303
    assert after_partly == "partially_received"
    order = await _order(harness, order_id)
    assert (order.number, order.status) == (f"PO-{order.created_at.year}-00001", "received")
    assert (await level(harness.db, setting["apple"], setting["warehouse"])).on_hand == 10
    async with harness.db.read() as session:
        receipts = list(await session.scalars(select(StockMovement).where(StockMovement.kind == "receipt")))
    assert [(m.quantity, m.reference) for m in receipts] == [
        (7, f"purchase_order:{order_id}"),
        (3, f"purchase_order:{order_id}"),
    ]
    assert await ledger_mismatches(harness.db) == []
    types = await event_types(harness.db)
    for expected in (
        "purchasing.created",
        "purchasing.line_added",
        "purchasing.line_removed",
        "purchasing.sent",
    ):
        assert expected in types
    assert types.count("purchasing.received") == 2
    assert 'data-status="received"' in listing.text
    assert f'<a href="/purchase-orders/{order_id}">{order.number}</a>' in ledger.text


async def test_receiving_fills_a_backorder_before_anything_else(
    harness: Harness, setting: dict[str, int]
) -> None:
    pear, warehouse = setting["pear"], setting["warehouse"]
    await reserve_stock(harness.db, "order:1", [Line(pear, 5)], warehouse, on_low=draft_reorder)
    order_id, line_id = await harness.db.run(
        _with_line,
        PurchaseOrder(number="PO-T-1", supplier_id=setting["supplier"], location_id=warehouse, status="sent"),
        PurchaseOrderLine(product_id=pear, quantity_ordered=8),
    )
    async with harness.signed_in(Role.OWNER) as client:
        response = await _act(client, order_id, "receive", 1, **{f"received_{line_id}": "3"})
    assert response.status_code == 303
    shelf = await level(harness.db, pear, warehouse)
    assert (shelf.on_hand, shelf.reserved, shelf.backordered) == (3, 3, 2)
    async with harness.db.read() as session:
        held = await session.scalar(select(Reservation).where(Reservation.reference == "order:1"))
    assert (held.quantity, held.backordered) == (3, 2)
    assert (await _order(harness, order_id)).status == "partially_received"
    assert await ledger_mismatches(harness.db) == []


async def _order_in(
    harness: Harness, setting: dict[str, int], status: str, received: int = 0
) -> tuple[int, int]:
    """An order in ``status`` with one apple line of 5: (order id, line id)."""
    order = PurchaseOrder(
        number="PO-TEST-1", supplier_id=setting["supplier"], location_id=setting["warehouse"], status=status
    )
    line = PurchaseOrderLine(product_id=setting["apple"], quantity_ordered=5, quantity_received=received)
    return await harness.db.run(_with_line, order, line)


@pytest.mark.parametrize(
    ("status", "received", "action", "fields", "message"),
    [
        ("sent", 0, "send", {}, "This order cannot go from Sent to Sent."),
        (
            "sent",
            0,
            "lines",
            {"product": "APPLE", "quantity": "1"},
            "Lines can change only while the order is a draft.",
        ),
        ("sent", 0, "lines/{line}/remove", {}, "Lines can change only while the order is a draft."),
        ("draft", 0, "receive", {"received_{line}": "1"}, "Goods can be received only for a sent order."),
        ("received", 5, "cancel", {}, "This order cannot go from Received to Cancelled."),
        ("partially_received", 2, "cancel", {}, "This order cannot go from Partly received to Cancelled."),
        ("cancelled", 0, "send", {}, "This order cannot go from Cancelled to Sent."),
        ("cancelled", 0, "receive", {"received_{line}": "1"}, "Goods can be received only for a sent order."),
    ],
)
async def test_the_state_machine_refuses_illegal_moves_and_changes_nothing(
    harness: Harness,
    setting: dict[str, int],
    status: str,
    received: int,
    action: str,
    fields: dict[str, str],
    message: str,
) -> None:
    order_id, line_id = await _order_in(harness, setting, status, received)
    fields = {key.format(line=line_id): value for key, value in fields.items()}
    async with harness.signed_in(Role.OWNER) as client:
        response = await _act(client, order_id, action.format(line=line_id), 1, **fields)
    assert response.status_code == 409, response.text
    assert message in response.text
    order = await _order(harness, order_id)
    assert (order.status, order.version) == (status, 1)
    assert await level(harness.db, setting["apple"], setting["warehouse"]) is None


async def test_an_empty_draft_cannot_be_sent(harness: Harness, setting: dict[str, int]) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        order_id = await _draft(client, setting)
        response = await _act(client, order_id, "send", 1)
    assert response.status_code == 409
    assert "Add at least one line" in response.text
    assert (await _order(harness, order_id)).status == "draft"


@pytest.mark.parametrize(
    ("quantity", "status", "message"),
    [
        ("6", 400, "More than is still expected (5)."),
        ("-1", 400, "Enter a number above zero."),
        ("", 400, "Enter the quantity received"),
    ],
)
async def test_receiving_more_than_expected_or_nothing_is_refused(
    harness: Harness, setting: dict[str, int], quantity: str, status: int, message: str
) -> None:
    order_id, line_id = await _order_in(harness, setting, "sent")
    async with harness.signed_in(Role.OWNER) as client:
        response = await _act(client, order_id, "receive", 1, **{f"received_{line_id}": quantity})
    assert response.status_code == status
    assert message in response.text
    assert (await _order(harness, order_id)).status == "sent"


async def test_a_receipt_at_an_old_version_is_a_conflict(harness: Harness, setting: dict[str, int]) -> None:
    order_id, line_id = await _order_in(harness, setting, "sent")
    async with harness.signed_in(Role.OWNER) as client:
        first = await _act(client, order_id, "receive", 1, **{f"received_{line_id}": "2"})
        again = await _act(client, order_id, "receive", 1, **{f"received_{line_id}": "2"})
    assert first.status_code == 303
    assert again.status_code == 409
    assert "Someone changed this order in the meantime" in again.text
    assert (await level(harness.db, setting["apple"], setting["warehouse"])).on_hand == 2


async def test_two_phones_receiving_the_same_delivery_at_once_receive_it_once(
    harness: Harness, setting: dict[str, int]
) -> None:
    order_id, line_id = await _order_in(harness, setting, "sent")
    outcomes = await asyncio.gather(
        *(service.receive(harness.db, None, order_id, 1, [Receipt(line_id, 5)]) for _ in range(2)),
        return_exceptions=True,
    )
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["PurchaseRejected", "PurchaseStatus"]
    assert (await level(harness.db, setting["apple"], setting["warehouse"])).on_hand == 5
    assert await ledger_mismatches(harness.db) == []


async def test_suppliers_are_created_and_edited_with_a_check_for_concurrent_edits(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        created = await post_form(
            client,
            "/suppliers/new",
            {"name": "Dairy Co", "email": "Orders@Dairy.test", "lead_time_days": "3"},
        )
        duplicate = await post_form(client, "/suppliers/new", {"name": "Dairy Co", "lead_time_days": "1"})
        invalid = await post_form(
            client, "/suppliers/new", {"name": "X", "email": "no-at", "lead_time_days": "400"}
        )
        async with harness.db.read() as session:
            supplier = await session.scalar(select(Supplier))
        page = await client.get(f"/suppliers/{supplier.id}")
        fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page.text).group(1)
        saved = await post_form(
            client,
            f"/suppliers/{supplier.id}",
            {"name": "Dairy & Co", "lead_time_days": "2", "fingerprint": fingerprint},
        )
        stale = await post_form(
            client,
            f"/suppliers/{supplier.id}",
            {"name": "Old Dairy", "lead_time_days": "2", "fingerprint": fingerprint},
        )
        listing = await client.get("/suppliers")
    assert created.status_code == saved.status_code == 303
    assert duplicate.status_code == 409
    assert invalid.status_code == 400
    assert "Enter a valid e-mail address." in invalid.text
    assert "between 0 and 365" in invalid.text
    assert stale.status_code == 409
    assert "Dairy &amp; Co" in listing.text
    async with harness.db.read() as session:
        supplier = await session.get(Supplier, supplier.id)
    assert (supplier.name, supplier.email, supplier.lead_time_days) == ("Dairy & Co", "", 2)
    assert {"supplier.created", "supplier.updated"} <= set(await event_types(harness.db))


@pytest.mark.parametrize("role", [Role.STAFF, Role.DRIVER, Role.CUSTOMER])
async def test_purchasing_is_for_those_allowed_to_manage_it(
    harness: Harness, setting: dict[str, int], role: Role
) -> None:
    order_id, line_id = await _order_in(harness, setting, "sent")
    async with harness.signed_in(role) as client:
        pages = [
            await client.get(url)
            for url in ("/purchase-orders", f"/purchase-orders/{order_id}", "/suppliers")
        ]
        received = await _act(client, order_id, "receive", 1, **{f"received_{line_id}": "5"})
    assert [page.status_code for page in pages] == [403, 403, 403]
    assert received.status_code == 403
    assert (await _order(harness, order_id)).status == "sent"
    async with harness.client() as client:
        assert (await client.get("/purchase-orders")).status_code == 401
