"""Invoicing's reactions to the log on both engines: orders invoiced by themselves at the status
the setting names, unpaid orders held until paid when their method must be paid first, a driver's
cash landing as payments — each once, however often the log is read."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from backend.delivery import planning
from backend.delivery import service as delivery
from backend.delivery.proofs import keep
from backend.delivery.rules import DropOff
from backend.invoicing import payments, reactions
from backend.invoicing.billing import BillingInput, save_billing
from backend.invoicing.consumer import Reactions
from backend.invoicing.models import Invoice, Payment
from backend.invoicing.payments import PaymentInput
from backend.kernel.db import Database
from backend.kernel.dead_letters import MAX_ATTEMPTS, DeadLetter
from backend.kernel.events import Event, EventCursor, events_held_back
from backend.orders import service as orders
from backend.orders.models import Order
from backend.orders.rules import OrderStatus
from tests.api.order_fixtures import draft
from tests.domain.conftest import Floor
from tests.domain.test_delivery_service import jpeg, packed, png
from tests.writing import run_sql

NINE = datetime(2026, 12, 14, 8, 0, tzinfo=UTC)


async def read_all(db: Database, reader: Reactions) -> None:
    """Until the log is read to its end, including what PostgreSQL holds back for a moment behind
    a transaction still open elsewhere (``kernel.events``)."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        if await reader.round(db):
            continue
        async with db.read() as session:
            if not await events_held_back(session):
                return
        assert asyncio.get_running_loop().time() < deadline, "events held back for too long"
        await asyncio.sleep(0.05)


async def ready(floor: Floor, **settings: object) -> Reactions:
    await floor.db.run(save_billing, floor.owner, BillingInput(**settings), None)  # type: ignore[arg-type]
    reader = Reactions()
    await reader.start(floor.db)
    return reader


async def status_of(floor: Floor, order_id: int) -> str:
    async with floor.db.read() as session:
        return (await session.get_one(Order, order_id)).status


async def test_an_order_is_invoiced_and_issued_when_it_leaves(floor: Floor) -> None:
    reader = await ready(floor, auto_invoice_at="dispatch")
    order = await packed(floor, fulfilment_mode="shipping")
    await read_all(floor.db, reader)
    async with floor.db.read() as session:
        assert await session.scalar(select(Invoice.id).where(Invoice.order_id == order.id)) is None
    await orders.transition_order(floor.db, floor.owner, order.id, OrderStatus.SHIPPED)
    await read_all(floor.db, reader)
    again = Reactions()
    again.position = (0, 0)  # another process reading the whole log again
    await read_all(floor.db, again)
    async with floor.db.read() as session:
        made = list(await session.scalars(select(Invoice).where(Invoice.order_id == order.id)))
    assert [(i.status, i.client_ref, i.total_minor) for i in made] == [
        ("issued", f"auto-order-{order.id}", order.total_minor)
    ]
    assert made[0].number is not None


async def test_an_unpaid_order_waits_on_hold_until_it_is_paid(floor: Floor) -> None:
    reader = await ready(floor, pay_before_dispatch=("bank_transfer",))
    placed = await orders.place_order(floor.db, floor.owner, draft(payment_method="bank_transfer"))
    card = await orders.place_order(floor.db, floor.owner, draft(payment_method="card"))
    await orders.accept_order(floor.db, floor.owner, placed.id)
    await orders.accept_order(floor.db, floor.owner, card.id)
    await read_all(floor.db, reader)
    assert (await status_of(floor, placed.id), await status_of(floor, card.id)) == ("on_hold", "accepted")
    part = PaymentInput("bank_transfer", placed.total_minor - 1, order_id=placed.id, reference="VIR 1")
    await floor.db.run(payments.record_payment, floor.owner, part)
    await read_all(floor.db, reader)
    assert await status_of(floor, placed.id) == "on_hold"
    rest = PaymentInput("bank_transfer", 1, order_id=placed.id, reference="VIR 2")
    await floor.db.run(payments.record_payment, floor.owner, rest)
    await read_all(floor.db, reader)
    assert await status_of(floor, placed.id) == "accepted"


async def test_cash_collected_at_a_drop_off_lands_as_payments_once(floor: Floor, tmp_path: Path) -> None:
    reader = await ready(floor)
    cod = await packed(floor, payment_method="cash_on_delivery")
    twin = await packed(floor)  # same address, paid by card: none of the cash
    run = await planning.plan_run(
        floor.db, floor.owner, floor.driver.user_id, date(2026, 12, 14), [cod.id, twin.id], starts_at=NINE
    )
    run = await floor.db.run(delivery.start_run, floor.driver, run.id, version=run.version)
    drop = DropOff("Ada", 48.8607, 2.3377, 12, cash_minor=300, currency="EUR", at=NINE + timedelta(minutes=5))
    stop = run.stops[0]
    await floor.db.run(
        delivery.confirm_drop_off, floor.driver, run.id, stop.id, drop, proofs=keep(tmp_path, jpeg(), png())
    )
    await read_all(floor.db, reader)
    again = Reactions()
    again.position = (0, 0)
    await read_all(floor.db, again)
    async with floor.db.read() as session:
        paid = list(await session.execute(select(Payment.order_id, Payment.method, Payment.amount_minor)))
        balance = await payments.order_balance(session, cod.id)
    assert paid == [(cod.id, "cash_on_delivery", 300)]
    assert balance is not None
    assert balance.balance_minor == cod.total_minor - 300  # 50 above the 2.50 owed: kept as credit


def test_only_the_events_invoicing_reacts_to_are_read_by_a_command() -> None:
    from backend.kernel.events import Event

    assert reactions.concerns(Event(type="order.shipped", subject="order:1", data={}))
    assert reactions.concerns(Event(type="delivery.dropped_off", subject="run:1", data={}))
    assert not reactions.concerns(Event(type="stock.changed", subject="stock:1", data={}))


async def _poison(floor: Floor) -> int:
    """A driver's drop-off whose cash is not a number (an old or broken writer): reacting to it
    raises, every time."""
    add_event = (
        "INSERT INTO events (at, type, subject, data) VALUES (:at, 'delivery.dropped_off', 'stop:1', :data)"
    )
    data = '{"stop": 1, "cash_minor": "lots"}'
    await floor.db.run(run_sql, add_event, {"at": datetime.now(UTC), "data": data})
    async with floor.db.read() as session:
        return int(await session.scalar(select(func.max(Event.id))))


async def _dead_letters(floor: Floor) -> list[DeadLetter]:
    async with floor.db.read() as session:
        return list(await session.scalars(select(DeadLetter)))


async def test_a_poisoned_event_is_set_aside_once_and_the_events_behind_it_go_on(floor: Floor) -> None:
    await floor.db.run(save_billing, floor.owner, BillingInput(pay_before_dispatch=("bank_transfer",)), None)
    waiting = Reactions(backoff=60)
    await waiting.start(floor.db)
    reader = Reactions(backoff=0)
    await reader.start(floor.db)
    poisoned = await _poison(floor)
    placed = await orders.place_order(floor.db, floor.owner, draft(payment_method="bank_transfer"))
    await orders.accept_order(floor.db, floor.owner, placed.id)

    # Behind the bad event the order's hold waits the back-off: nothing set aside yet.
    await read_all(floor.db, waiting)
    await read_all(floor.db, waiting)
    assert waiting.failures == {poisoned: 1}
    assert await status_of(floor, placed.id) == "accepted"
    assert await _dead_letters(floor) == []

    for _ in range(MAX_ATTEMPTS):
        await read_all(floor.db, reader)
    assert await status_of(floor, placed.id) == "on_hold"  # the event behind it was reacted to
    [aside] = await _dead_letters(floor)
    assert (aside.consumer, aside.event_id, aside.event_type) == (
        "invoicing",
        poisoned,
        "delivery.dropped_off",
    )
    assert aside.attempts == MAX_ATTEMPTS
    assert "TypeError" in aside.error
    async with floor.db.read() as session:
        assert (await session.get_one(EventCursor, "invoicing")).last_event_id > poisoned

    again = Reactions(backoff=0)
    again.position = (0, 0)  # another process reading the whole log again
    for _ in range(MAX_ATTEMPTS):
        await read_all(floor.db, again)
    assert len(await _dead_letters(floor)) == 1  # recorded once
    assert await status_of(floor, placed.id) == "on_hold"


async def test_the_hold_for_payment_is_taken_in_the_acceptance_and_not_again(floor: Floor) -> None:
    reader = await ready(floor, pay_before_dispatch=("bank_transfer",))
    placed = await orders.place_order(floor.db, floor.owner, draft(payment_method="bank_transfer"))
    moved = await orders.transition_order(
        floor.db, floor.owner, placed.id, OrderStatus.ACCEPTED, on_accept=(reactions.hold_on_accept,)
    )
    assert moved.status == "on_hold"  # no reader has run
    await read_all(floor.db, reader)  # the reaction to order.accepted finds it held already
    async with floor.db.read() as session:
        moves = list(
            await session.scalars(
                select(Event.type).where(Event.subject == f"order:{placed.id}").order_by(Event.id)
            )
        )
    assert moves == ["order.placed", "order.accepted", "order.on_hold"]
