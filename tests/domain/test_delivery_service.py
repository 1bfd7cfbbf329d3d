"""Delivery commands and reads against a real database: a run's whole life (planned, started,
drop-offs with proofs, a failure, finished, cash), repeated confirmations, failures back in the
ready list, conflicts naming what changed, and the day split between drivers."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from backend.delivery import planning, reads, service
from backend.delivery.errors import DeliveryConflict, DeliveryForbidden, DeliveryRejected
from backend.delivery.models import AddressPin
from backend.delivery.proofs import keep, read
from backend.delivery.rules import DropOff, Fix, PinSource, Proofs
from backend.fulfilment import service as fulfilment
from backend.inventory.models import StockMovement
from backend.kernel.events import Event
from backend.orders import service as orders
from backend.orders.drafts import Address, DeliverySlot, WantedLine
from backend.orders.views import OrderSummary
from tests.api.order_fixtures import PARIS, draft
from tests.domain.conftest import Floor

DAY = date(2026, 12, 14)
NINE = datetime(2026, 12, 14, 8, 0, tzinfo=UTC)
BASTILLE = Address("3 place de la Bastille", "Paris", "75004", "FR", 48.8532, 2.3692)
NATION = Address("5 place de la Nation", "Paris", "75012", "FR", 48.8483, 2.3958)
ONE = [WantedLine("APPLE", 1)]


async def packed(floor: Floor, **changes: object) -> OrderSummary:
    placed = await orders.place_order(floor.db, floor.owner, draft(lines=ONE, **changes))
    order = await orders.accept_order(floor.db, floor.owner, placed.id)
    started = await floor.db.run(
        fulfilment.start_batch, floor.alice, order.location_id, [fulfilment.Seen(order.id)]
    )
    order = started.orders[0]
    done = await floor.db.run(fulfilment.confirm_pick, floor.alice, order.id, "APPLE", 1)
    return await floor.db.run(fulfilment.pack, floor.alice, order.id, 1, 500, version=done.summary.version)


async def typed(floor: Floor, type_: str) -> list[Event]:
    async with floor.db.read() as session:
        return list(await session.scalars(select(Event).where(Event.type == type_).order_by(Event.id)))


def png(draw_line: bool = True) -> bytes:
    image = Image.new("RGBA", (120, 60), (0, 0, 0, 0))
    if draw_line:
        ImageDraw.Draw(image).line((5, 30, 110, 35), fill=(0, 0, 0, 255), width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


async def ready_ids(floor: Floor) -> set[int]:
    async with floor.db.read() as session:
        groups = await reads.ready_for_delivery(session)
    return {order.order_id for group in groups for order in group.orders}


async def test_a_run_from_plan_to_cash(floor: Floor, tmp_path: Path) -> None:
    cod = await packed(floor, payment_method="cash_on_delivery")  # PARIS, 2.50 EUR cash
    twin = await packed(floor)  # PARIS too: the same stop
    far = await packed(floor, address=NATION)
    driver = floor.driver.user_id
    run = await planning.plan_run(
        floor.db, floor.owner, driver, DAY, [far.id, cod.id, twin.id], starts_at=NINE
    )
    assert run.status == "planned"
    assert sorted(len(stop.orders) for stop in run.stops) == [1, 2]
    assert [stop.eta > NINE for stop in run.stops] == [True, True]
    assert await ready_ids(floor) == set()

    run = await floor.db.run(service.start_run, floor.driver, run.id, version=run.version)
    assert run.status == "started"
    async with floor.db.read() as session:
        sold = await session.scalars(
            select(StockMovement.reference)
            .where(StockMovement.kind == "sale")
            .order_by(StockMovement.reference)
        )
        assert sorted(sold) == sorted(f"order:{i}" for i in (cod.id, twin.id, far.id))
    first = next(stop for stop in run.stops if len(stop.orders) == 2)
    second = next(stop for stop in run.stops if stop.id != first.id)
    proofs = keep(tmp_path, jpeg(), png())
    drop = DropOff(
        "Ada", 48.8607, 2.3377, 12, cash_minor=250, currency="EUR", at=NINE + timedelta(minutes=20)
    )
    done = await floor.db.run(service.confirm_drop_off, floor.driver, run.id, first.id, drop, proofs=proofs)
    again = await floor.db.run(service.confirm_drop_off, floor.driver, run.id, first.id, drop, proofs=proofs)
    assert (done.repeated, again.repeated, done.stop.status) == (False, True, "delivered")
    assert len(await typed(floor, "order.delivered")) == 2  # both orders of the stop, once each
    assert len(await typed(floor, "delivery.dropped_off")) == 1
    assert read(tmp_path, done.stop.photo_hash)[1] == "image/jpeg"
    assert (done.run_id, done.run_status, done.stop.eta) == (run.id, "started", done.stop.done_at)
    async with floor.db.read() as session:
        fresh = await reads.run(session, run.id)
    # The answer is the stop as a read shows it: its orders delivered, at their new versions.
    assert done.stop == again.stop == next(stop for stop in fresh.stops if stop.id == first.id)
    assert {order.status for order in done.stop.orders} == {"delivered"}

    failed = await floor.db.run(service.fail_stop, floor.driver, run.id, second.id, "nobody_home")
    assert failed.stop.status == "failed"
    assert await ready_ids(floor) == {far.id}
    run = await floor.db.run(service.finish_run, floor.driver, run.id)
    assert (run.cash.expected, run.cash.collected) == (250, 250)
    run = await floor.db.run(service.declare_cash, floor.driver, run.id, 240, "EUR")
    async with floor.db.read() as session:
        assert await reads.cash_owed(session) == {driver: {"EUR": 250}}
    run = await floor.db.run(
        service.confirm_cash, floor.owner, run.id, 240, currency="EUR", version=run.version
    )
    cash = run.cash
    assert (cash.declared, cash.received, cash.handover_difference, cash.owed) == (240, 240, -10, 10)
    received = (await typed(floor, "delivery.cash_received"))[0].data
    assert (received["expected"], received["collected"], received["received"]) == (250, 250, 240)
    async with floor.db.read() as session:
        assert await reads.cash_owed(session) == {driver: {"EUR": 10}}
        holders = await reads.proof_holders(session, done.stop.photo_hash)
    assert holders[0].driver_id == driver


async def test_a_failed_order_is_planned_again_on_a_new_run(floor: Floor) -> None:
    order = await packed(floor)
    run = await planning.plan_run(
        floor.db, floor.owner, floor.driver.user_id, DAY, [order.id], starts_at=NINE
    )
    run = await floor.db.run(service.start_run, floor.driver, run.id)
    await floor.db.run(service.fail_stop, floor.driver, run.id, run.stops[0].id, "other", note="Gate locked")
    assert await ready_ids(floor) == {order.id}
    later = await planning.plan_run(
        floor.db, floor.owner, floor.driver.user_id, DAY, [order.id], starts_at=NINE
    )
    assert later.stops[0].orders[0].status == "packed"
    assert await ready_ids(floor) == set()


async def test_conflicts_name_what_changed(floor: Floor) -> None:
    kept, dropped = await packed(floor), await packed(floor, address=BASTILLE)
    driver = floor.driver.user_id
    run = await planning.plan_run(floor.db, floor.owner, driver, DAY, [kept.id, dropped.id], starts_at=NINE)
    with pytest.raises(DeliveryConflict) as taken:
        await planning.plan_run(floor.db, floor.owner, driver, DAY, [kept.id], starts_at=NINE)
    assert (taken.value.code, taken.value.what["run"]) == ("already_planned", run.id)
    with pytest.raises(DeliveryConflict) as stale:
        await floor.db.run(
            service.move_stop, floor.owner, run.id, run.stops[1].id, -1, version=run.version - 1
        )
    assert stale.value.code == "run_changed"
    with pytest.raises(DeliveryConflict) as early:
        await floor.db.run(service.record_position, floor.driver, run.id, Fix(48.85, 2.35, 10))
    assert early.value.code == "run_not_started"
    await orders.cancel_order(floor.db, floor.owner, dropped.id, "customer called")
    with pytest.raises(DeliveryConflict) as cancelled:
        await floor.db.run(service.start_run, floor.driver, run.id)
    assert (cancelled.value.code, cancelled.value.what["status"]) == ("order_changed", "cancelled")
    with pytest.raises(DeliveryForbidden):
        await floor.db.run(service.start_run, floor.alice, run.id)
    gone = next(stop for stop in run.stops if stop.orders[0].order_id == dropped.id)
    run = await floor.db.run(service.remove_stop, floor.owner, run.id, gone.id, version=run.version)
    run = await floor.db.run(service.start_run, floor.driver, run.id, version=run.version)
    stop = run.stops[0]
    drop = DropOff("Ada", 48.86, 2.33, 5, stop_version=stop.version - 1)
    with pytest.raises(DeliveryConflict) as moved:
        await floor.db.run(service.confirm_drop_off, floor.driver, run.id, stop.id, drop)
    assert moved.value.code == "stop_changed"
    with pytest.raises(DeliveryRejected) as absurd:
        await floor.db.run(service.record_position, floor.driver, run.id, Fix(123.0, 2.35, 10))
    assert absurd.value.problems == {"position": "coordinate_invalid"}
    await floor.db.run(service.record_position, floor.driver, run.id, Fix(48.851, 2.351, 8, NINE))
    done = await floor.db.run(service.fail_stop, floor.driver, run.id, stop.id, "refused")
    with pytest.raises(DeliveryConflict) as twice:
        await floor.db.run(
            service.confirm_drop_off, floor.driver, run.id, stop.id, DropOff("Ada", 48.86, 2.33, 5)
        )
    assert twice.value.code == "stop_done"
    async with floor.db.read() as session:
        view = await reads.run(session, run.id)
    assert (view.last_position.latitude, done.stop.failure_reason) == (48.851, "refused")


async def test_a_drop_off_missing_what_the_shop_requires_writes_nothing(floor: Floor) -> None:
    order = await packed(floor, payment_method="cash_on_delivery")
    run = await planning.plan_run(
        floor.db, floor.owner, floor.driver.user_id, DAY, [order.id], starts_at=NINE
    )
    run = await floor.db.run(service.start_run, floor.driver, run.id)
    stop = run.stops[0]
    drop = DropOff("", None, None, None, cash_minor=-5)
    with pytest.raises(DeliveryRejected) as bad:
        await floor.db.run(service.confirm_drop_off, floor.driver, run.id, stop.id, drop, proofs=Proofs())
    assert bad.value.problems == {
        "recipient": "recipient_required",
        "position": "position_required",
        "cash_minor": "cash_invalid",
    }
    drop = DropOff("Ada", 48.86, 2.33, 5, cash_minor=250, currency="USD")
    with pytest.raises(DeliveryRejected) as foreign:
        await floor.db.run(service.confirm_drop_off, floor.driver, run.id, stop.id, drop)
    assert foreign.value.problems == {"cash_minor": "currency_mismatch"}
    assert await typed(floor, "order.delivered") == []


async def test_plan_the_day_splits_orders_between_drivers_within_their_slots(floor: Floor) -> None:
    slot = DeliverySlot(NINE + timedelta(hours=2), NINE + timedelta(hours=3))
    ids = [
        (await packed(floor, address=address, slot=s)).id
        for address, s in ((PARIS, None), (BASTILLE, slot), (NATION, None), (BASTILLE, None))
    ]
    drivers = [floor.driver.user_id, floor.owner.user_id]
    plan = await planning.plan_day(floor.db, floor.owner, DAY, drivers, ids, starts_at=NINE)
    planned = [o.order_id for run in plan.runs for stop in run.stops for o in stop.orders]
    assert (sorted(planned), plan.unplaced) == (sorted(ids), {})
    slotted = next(stop for run in plan.runs for stop in run.stops if stop.window_start is not None)
    assert slot.start <= slotted.eta <= slot.end
    assert not slotted.late
    assert {run.driver_id for run in plan.runs} <= set(drivers)
    async with floor.db.read() as session:
        listed = await reads.runs(session, day=DAY)
    assert sorted(head.id for head in listed) == sorted(run.id for run in plan.runs)


async def _pin_of(floor: Floor, key: str) -> tuple[str, float, float] | None:
    async with floor.db.read() as session:
        pin = await session.get(AddressPin, key)
        return None if pin is None else (pin.source, pin.latitude, pin.longitude)


async def _dropped_at(floor: Floor, latitude: float, longitude: float, accuracy_m: float) -> None:
    """One order to NATION delivered, the driver's phone at this position."""
    order = await packed(floor, address=NATION)
    run = await planning.plan_run(
        floor.db, floor.owner, floor.driver.user_id, DAY, [order.id], starts_at=NINE
    )
    run = await floor.db.run(service.start_run, floor.driver, run.id)
    drop = DropOff("Ada", latitude, longitude, accuracy_m)
    await floor.db.run(service.confirm_drop_off, floor.driver, run.id, run.stops[0].id, drop)


async def test_a_pin_is_replaced_only_by_one_as_strong_or_stronger(floor: Floor) -> None:
    address = (NATION.line1, NATION.postal_code, NATION.city, NATION.country)
    key = await floor.db.run(service.set_pin, floor.owner, address, 48.8, 2.3, source=PinSource.GEOCODER)
    assert await _pin_of(floor, key) == ("geocoder", 48.8, 2.3)

    await _dropped_at(floor, 48.8484, 2.3957, accuracy_m=12)  # a close fix confirms the address
    assert await _pin_of(floor, key) == ("drop_off", 48.8484, 2.3957)
    await _dropped_at(floor, 48.9, 2.5, accuracy_m=400)  # too vague to say where the door is
    assert await _pin_of(floor, key) == ("drop_off", 48.8484, 2.3957)
    await floor.db.run(service.set_pin, floor.owner, address, 48.7, 2.2, source=PinSource.GEOCODER)
    assert await _pin_of(floor, key) == ("drop_off", 48.8484, 2.3957)  # a guess never moves it

    await floor.db.run(service.set_pin, floor.owner, address, 48.8483, 2.3958)  # the owner's
    await _dropped_at(floor, 48.8490, 2.3950, accuracy_m=5)
    assert await _pin_of(floor, key) == ("owner", 48.8483, 2.3958)
    assert len(await typed(floor, "delivery.pin_set")) == 2  # the guess kept out was not recorded
