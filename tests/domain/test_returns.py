"""Returns against a real database (both engines): the lifecycle from the customer's request to
the refund, the ledger's restocking, and what each step must refuse without a trace."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from backend.inventory.models import StockLevel, StockMovement
from backend.invoicing.models import Invoice, Payment
from backend.kernel.events import Event
from backend.kernel.tx import Tx
from backend.orders.rules import Actor
from backend.returns import service, views
from backend.returns.errors import ReturnConflict, ReturnForbidden, ReturnNotFound, ReturnRejected
from backend.returns.models import Return
from backend.returns.service import Inspection, RefundInput, ReturnRequest, WantedLine
from tests.api.order_fixtures import draft
from tests.domain.conftest import Floor
from tests.returns_fixtures import delivered_order

ANYONE = Actor(None)


def ask(order_id: int, token: str, *lines: WantedLine) -> ReturnRequest:
    return ReturnRequest(order_id, lines or (WantedLine("APPLE", 1, "damaged"),), "", token)


async def on_hand(floor: Floor, sku: str) -> int:
    async with floor.db.read() as session:
        return int(
            await session.scalar(
                select(StockLevel.on_hand).where(
                    StockLevel.product_id == floor.shop.products[sku],
                    StockLevel.location_id == floor.shop.warehouse,
                )
            )
        )


async def test_the_whole_lifecycle_restocks_credits_and_refunds(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    before = await on_hand(floor, "APPLE")
    asked = await floor.db.run(
        service.request_return,
        ANYONE,
        ask(
            order.order_id,
            order.tracking_token,
            WantedLine("APPLE", 2, "damaged"),
            WantedLine("PEAR", 1, "wrong_item"),
        ),
    )
    assert (asked.status, asked.version) == ("requested", 1)
    approved = await floor.db.run(service.approve_return, floor.alice, asked.id, 1)
    assert approved.status == "approved"
    inspections = (Inspection("APPLE", "as_new"), Inspection("PEAR", "damaged"))
    received = await floor.db.run(
        service.receive_return, floor.alice, asked.id, inspections, approved.version
    )
    assert received.status == "received"
    assert await on_hand(floor, "APPLE") == before + 2  # the pear was scrapped
    refunded = await floor.db.run(
        service.refund_return, floor.owner, asked.id, RefundInput(), received.version
    )
    assert refunded.status == "refunded"
    assert refunded.refund_minor == 2 * 250 + 400
    async with floor.db.read() as session:
        note = await session.get(Invoice, refunded.credit_note_id)
        refund = await session.get(Payment, refunded.refund_id)
        view = await views.get_return(session, asked.id)
        types = list(await session.scalars(select(Event.type).where(Event.subject == f"return:{asked.id}")))
    assert note is not None
    assert note.kind == "credit_note"
    assert note.corrects_id == order.invoice_id
    assert note.number
    assert note.number.startswith("AV-")
    assert refund is not None
    assert (refund.kind, refund.credit_note_id, refund.amount_minor) == (
        "refund",
        note.id,
        900,
    )
    assert view is not None
    assert view.credit_note_number == note.number
    assert [line.condition for line in view.lines] == ["as_new", "damaged"]
    assert types == ["return.requested", "return.approved", "return.received", "return.refunded"]


async def test_restocking_is_a_return_movement_on_the_ledger(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    asked = await floor.db.run(
        service.request_return,
        ANYONE,
        ask(order.order_id, order.tracking_token, WantedLine("APPLE", 2, "other")),
    )
    await floor.db.run(service.approve_return, floor.owner, asked.id)
    await floor.db.run(service.receive_return, floor.owner, asked.id, (Inspection("APPLE", "opened"),))
    async with floor.db.read() as session:
        rows = (
            await session.execute(
                select(StockMovement.kind, StockMovement.quantity, StockMovement.reference).where(
                    StockMovement.product_id == floor.shop.products["APPLE"],
                    StockMovement.location_id == floor.shop.warehouse,
                )
            )
        ).all()
        level = await session.scalar(
            select(StockLevel.on_hand).where(
                StockLevel.product_id == floor.shop.products["APPLE"],
                StockLevel.location_id == floor.shop.warehouse,
            )
        )
    assert ("return", 2, f"return:{asked.id}") in rows
    assert sum(quantity for _, quantity, _ in rows) == level  # the ledger sums to on-hand


async def test_more_than_delivered_is_refused(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    with pytest.raises(ReturnRejected) as refused:
        await floor.db.run(
            service.request_return,
            ANYONE,
            ask(order.order_id, order.tracking_token, WantedLine("APPLE", 3, "other")),
        )
    assert refused.value.problems == {"lines[0].quantity": "above_delivered"}
    await floor.db.run(
        service.request_return,
        ANYONE,
        ask(order.order_id, order.tracking_token, WantedLine("APPLE", 2, "other")),
    )
    with pytest.raises(ReturnRejected) as again:  # both apples are already on their way back
        await floor.db.run(
            service.request_return,
            ANYONE,
            ask(order.order_id, order.tracking_token, WantedLine("APPLE", 1, "other")),
        )
    assert again.value.problems == {"lines[0].quantity": "above_delivered"}
    async with floor.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Return)) == 1


async def test_a_refused_return_gives_its_units_back_to_ask_again(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    asked = await floor.db.run(
        service.request_return,
        ANYONE,
        ask(order.order_id, order.tracking_token, WantedLine("APPLE", 2, "other")),
    )
    with pytest.raises(ReturnRejected):  # refusing needs a note
        await floor.db.run(service.refuse_return, floor.owner, asked.id, 1, "  ")
    refused = await floor.db.run(service.refuse_return, floor.owner, asked.id, 1, "Used")
    assert refused.status == "refused"
    again = await floor.db.run(
        service.request_return,
        ANYONE,
        ask(order.order_id, order.tracking_token, WantedLine("APPLE", 2, "other")),
    )
    assert again.status == "requested"


async def test_refund_above_paid_is_refused_and_leaves_no_credit_note(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    asked = await floor.db.run(service.request_return, ANYONE, ask(order.order_id, order.tracking_token))
    await floor.db.run(service.approve_return, floor.owner, asked.id)
    received = await floor.db.run(
        service.receive_return, floor.owner, asked.id, (Inspection("APPLE", "as_new"),)
    )
    with pytest.raises(ReturnRejected) as refused:
        await floor.db.run(
            service.refund_return, floor.owner, asked.id, RefundInput(amount_minor=order.total_minor + 1)
        )
    assert refused.value.problems == {"amount_minor": "refund_above_paid"}
    async with floor.db.read() as session:
        notes = await session.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.kind == "credit_note")
        )
        found = await session.get(Return, asked.id)
    assert notes == 0
    assert found is not None
    assert (found.status, found.version) == ("received", received.version)


async def test_refund_of_an_unpaid_order_is_refused(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft(), invoiced=False, paid=False)
    asked = await floor.db.run(service.request_return, ANYONE, ask(order.order_id, order.tracking_token))
    await floor.db.run(service.approve_return, floor.owner, asked.id)
    await floor.db.run(service.receive_return, floor.owner, asked.id, (Inspection("APPLE", "damaged"),))
    with pytest.raises(ReturnRejected) as refused:
        await floor.db.run(service.refund_return, floor.owner, asked.id, RefundInput())
    assert refused.value.problems == {"amount_minor": "refund_above_paid"}


async def test_moves_are_version_checked_and_repeats_are_no_ops(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    asked = await floor.db.run(service.request_return, ANYONE, ask(order.order_id, order.tracking_token))
    approved = await floor.db.run(service.approve_return, floor.owner, asked.id, 1)
    repeated = await floor.db.run(service.approve_return, floor.owner, asked.id, 1)
    assert repeated.replayed
    assert repeated.version == approved.version
    with pytest.raises(ReturnConflict) as stale:
        await floor.db.run(service.receive_return, floor.owner, asked.id, (Inspection("APPLE", "as_new"),), 1)
    assert stale.value.code == "stale"
    with pytest.raises(ReturnConflict) as wrong:
        await floor.db.run(service.refund_return, floor.owner, asked.id, RefundInput())
    assert wrong.value.code == "move_not_allowed"
    with pytest.raises(ReturnRejected):  # every line needs its condition
        await floor.db.run(service.receive_return, floor.owner, asked.id, ())
    async with floor.db.read() as session:
        count = await session.scalar(
            select(func.count()).select_from(Event).where(Event.subject == f"return:{asked.id}")
        )
    assert count == 2


async def test_who_may_ask_and_decide(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    with pytest.raises(ReturnNotFound):  # a wrong link learns nothing
        await floor.db.run(service.request_return, ANYONE, ask(order.order_id, "not-the-token"))
    with pytest.raises(ReturnForbidden):  # no link, no account, no right
        await floor.db.run(
            service.request_return,
            floor.driver,
            ReturnRequest(order.order_id, (WantedLine("APPLE", 1, "other"),)),
        )
    asked = await floor.db.run(service.request_return, ANYONE, ask(order.order_id, order.tracking_token))
    with pytest.raises(ReturnForbidden):
        await floor.db.run(service.approve_return, floor.driver, asked.id)


def _age_delivery(tx: Tx, order_id: int, days: int) -> None:
    from datetime import UTC, datetime, timedelta

    moment = datetime.now(UTC) - timedelta(days=days)
    tx.session.execute(
        update(Event)
        .where(Event.subject == f"order:{order_id}", Event.type == "order.delivered")
        .values(at=moment)
    )


async def test_the_window_closes_for_customers_not_for_the_staff(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    await floor.db.run(_age_delivery, order.order_id, 15)
    with pytest.raises(ReturnRejected) as closed:
        await floor.db.run(service.request_return, ANYONE, ask(order.order_id, order.tracking_token))
    assert closed.value.problems == {"order": "window_closed"}
    await floor.db.run(service.set_window, floor.owner, 30)
    assert (
        await floor.db.run(service.request_return, ANYONE, ask(order.order_id, order.tracking_token))
    ).status == "requested"
    await floor.db.run(service.set_window, floor.owner, 0)
    staff = ReturnRequest(order.order_id, (WantedLine("PEAR", 1, "other"),))
    assert (await floor.db.run(service.request_return, floor.alice, staff)).status == "requested"


async def test_an_order_not_yet_delivered_cannot_be_returned(floor: Floor) -> None:
    from backend.orders import service as orders

    placed = await orders.place_order(floor.db, floor.owner, draft())
    with pytest.raises(ReturnRejected) as refused:
        await floor.db.run(service.request_return, ANYONE, ask(placed.id, placed.tracking_token))
    assert refused.value.problems == {"order": "not_delivered"}


async def test_return_rate_per_product(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    await floor.db.run(
        service.request_return,
        ANYONE,
        ask(order.order_id, order.tracking_token, WantedLine("APPLE", 1, "other")),
    )
    async with floor.db.read() as session:
        rates = await views.return_rates(session)
    assert [(rate.sku, rate.sold, rate.returned, rate.rate) for rate in rates] == [("APPLE", 2, 1, 0.5)]
