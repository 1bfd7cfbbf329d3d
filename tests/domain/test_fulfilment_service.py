"""Fulfilment commands and reads against a real database: batches, picking, short picks, packing,
hand-over by mode, the pickup-code lockout, the sale on the ledger, and pickers racing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.catalog.models import Product
from backend.fulfilment import board, rules, service
from backend.fulfilment.carriers import carriers, save_carrier
from backend.fulfilment.errors import FulfilmentRejected, PickConflict
from backend.fulfilment.models import Fulfilment
from backend.fulfilment.rules import CarrierInfo, Stage
from backend.inventory.commands import StockRejected, set_bin
from backend.inventory.models import Reservation, StockLevel, StockMovement
from backend.kernel.events import Event
from backend.orders import service as orders
from backend.orders.drafts import WantedLine
from backend.orders.errors import OrderForbidden, TransitionRefused
from backend.orders.rules import Actor
from backend.orders.views import OrderSummary
from tests.api.order_fixtures import draft
from tests.api.stock_fixtures import level, set_columns
from tests.api.stock_helpers import ledger_mismatches, receive_stock
from tests.domain.conftest import Floor
from tests.writing import run_sql

KEY = rules.pickup_key("test-secret-" + "x" * 40)


async def accepted(floor: Floor, **changes: object) -> OrderSummary:
    placed = await orders.place_order(floor.db, floor.owner, draft(**changes))
    return await orders.accept_order(floor.db, floor.owner, placed.id)


async def picking(floor: Floor, order: OrderSummary, picker: Actor | None = None) -> OrderSummary:
    picker = picker or floor.alice
    started = await floor.db.run(
        service.start_batch, picker, order.location_id, [service.Seen(order.id, order.version)]
    )
    return started.orders[0]


async def picked_all(floor: Floor, order: OrderSummary) -> OrderSummary:
    order = await picking(floor, order)
    async with floor.db.read() as session:
        view = await board.fulfilment_of(session, order.id)
    for line in view.lines:
        done = await floor.db.run(service.confirm_pick, floor.alice, order.id, line.sku, line.quantity)
        order = done.summary
    return order


async def packed(floor: Floor, order: OrderSummary) -> OrderSummary:
    order = await picked_all(floor, order)
    return await floor.db.run(service.pack, floor.alice, order.id, 1, 1500, version=order.version)


async def events(floor: Floor, order_id: int) -> list[Event]:
    async with floor.db.read() as session:
        query = select(Event).where(Event.subject == f"order:{order_id}").order_by(Event.id)
        return list(await session.scalars(query))


async def held(floor: Floor, order_id: int) -> list[tuple[int, int, int]]:
    async with floor.db.read() as session:
        rows = await session.scalars(select(Reservation).where(Reservation.reference == f"order:{order_id}"))
        return sorted((row.product_id, row.quantity, row.backordered) for row in rows)


async def sales(floor: Floor, order_id: int) -> list[tuple[int, int]]:
    async with floor.db.read() as session:
        query = select(StockMovement.product_id, StockMovement.quantity).where(
            StockMovement.reference == f"order:{order_id}", StockMovement.kind == "sale"
        )
        return sorted(tuple(row) for row in await session.execute(query))


# -- batches and pick lists -----------------------------------------------------------------------


async def test_a_batch_moves_its_orders_to_picking_and_lists_their_lines_by_shelf(floor: Floor) -> None:
    ent, ids = floor.shop.warehouse, floor.shop.products
    await floor.db.run(set_bin, floor.owner.user_id, ids["APPLE"], ent, " b-02 ")
    await floor.db.run(set_bin, floor.owner.user_id, ids["PEAR"], ent, "A-01")
    first = await accepted(floor)  # APPLE 2, PEAR 1
    second = await accepted(floor, lines=[WantedLine("APPLE", 1), WantedLine("PLUM", 1)])
    started = await floor.db.run(
        service.start_batch,
        floor.alice,
        ent,
        [service.Seen(second.id, second.version), service.Seen(first.id, first.version)],
    )
    assert [(o.id, o.status, o.version) for o in started.orders] == [
        (second.id, "picking", second.version + 1),
        (first.id, "picking", first.version + 1),
    ]
    async with floor.db.read() as session:
        listed = await board.pick_list(session, started.batch_id)
        waiting = await board.to_pick(session, ent)
        counts = (await board.board(session, datetime.now(UTC) - timedelta(hours=1))).counts
    assert (listed.picker_name, listed.location_id) == ("Alice Picker", ent)
    assert [(row.bin, row.sku, row.order_number) for row in listed.rows] == [
        ("A-01", "PEAR", first.number),
        ("B-02", "APPLE", first.number),
        ("B-02", "APPLE", second.number),
        (None, "PLUM", second.number),
    ]
    assert waiting == []
    assert (counts[Stage.PICKING], counts[Stage.TO_PICK]) == (2, 0)
    picking_event = [e for e in await events(floor, first.id) if e.type == "order.picking"]
    assert picking_event[0].data["batch"] == started.batch_id


async def test_orders_to_pick_come_rush_first_then_pickup_due_soonest(floor: Floor) -> None:
    one = [WantedLine("APPLE", 1)]
    slow = await accepted(floor, location="BTQ", lines=one)
    pickup = await accepted(floor, fulfilment_mode="pickup", location="BTQ", address=None, lines=one)
    rush = await accepted(floor, priority="rush", location="BTQ", lines=one)
    async with floor.db.read() as session:
        waiting = await board.to_pick(session, floor.shop.boutique)
    assert [card.order_id for card in waiting] == [rush.id, pickup.id, slow.id]


async def test_a_batch_with_an_order_of_another_location_or_twice_the_same_writes_nothing(
    floor: Floor,
) -> None:
    order = await accepted(floor)
    with pytest.raises(FulfilmentRejected) as caught:
        await floor.db.run(service.start_batch, floor.alice, floor.shop.boutique, [service.Seen(order.id)])
    assert caught.value.problems == {"orders[0]": "wrong_location"}
    with pytest.raises(FulfilmentRejected) as caught:
        await floor.db.run(
            service.start_batch, floor.alice, floor.shop.warehouse, [service.Seen(order.id)] * 2
        )
    assert caught.value.problems == {"orders": "batch_repeats"}
    with pytest.raises(OrderForbidden):
        await floor.db.run(service.start_batch, floor.driver, floor.shop.warehouse, [service.Seen(order.id)])
    async with floor.db.read() as session:
        assert (await board.to_pick(session, floor.shop.warehouse))[0].status == "accepted"


# -- confirming lines -----------------------------------------------------------------------------


async def test_lines_are_confirmed_by_sku_or_barcode_with_a_quantity(floor: Floor) -> None:
    await floor.db.run(set_columns, Product, floor.shop.products["PEAR"], {"barcode": "3760001234567"})
    order = await picking(floor, await accepted(floor))
    one = await floor.db.run(service.confirm_pick, floor.alice, order.id, " apple ", 1, version=order.version)
    assert (one.sku, one.picked_quantity, one.quantity, one.complete) == ("APPLE", 1, 2, False)
    two = await floor.db.run(
        service.confirm_pick, floor.alice, order.id, "APPLE", 1, version=one.summary.version
    )
    pear = await floor.db.run(service.confirm_pick, floor.alice, order.id, "3760001234567", 1)
    assert (two.picked_quantity, pear.sku, pear.complete) == (2, "PEAR", True)
    assert pear.summary.version == order.version + 3
    async with floor.db.read() as session:
        view = await board.fulfilment_of(session, order.id)
    assert [(line.sku, line.quantity, line.picked_quantity) for line in view.lines] == [
        ("APPLE", 2, 2),
        ("PEAR", 1, 1),
    ]
    assert view.picker_name == "Alice Picker"
    picked = [e.data for e in await events(floor, order.id) if e.type == "order.line_picked"]
    assert [(d["sku"], d["quantity"], d["picked"], d["ordered"]) for d in picked] == [
        ("APPLE", 1, 1, 2),
        ("APPLE", 1, 2, 2),
        ("PEAR", 1, 1, 1),
    ]


async def test_a_product_not_on_the_order_or_more_than_ordered_is_refused_and_nothing_changes(
    floor: Floor,
) -> None:
    order = await picking(floor, await accepted(floor))
    for code, quantity, problem in [
        ("PLUM", 1, {"code": "not_on_order"}),
        ("NO-SUCH", 1, {"code": "not_on_order"}),
        ("  ", 1, {"code": "code_required"}),
        ("APPLE", 3, {"quantity": "more_than_ordered"}),
        ("APPLE", 0, {"quantity": "quantity_invalid"}),
    ]:
        with pytest.raises(FulfilmentRejected) as caught:
            await floor.db.run(service.confirm_pick, floor.alice, order.id, code, quantity)
        assert caught.value.problems == problem
    async with floor.db.read() as session:
        view = await board.fulfilment_of(session, order.id)
    assert [line.picked_quantity for line in view.lines] == [0, 0]
    assert [e.type for e in await events(floor, order.id)][-1] == "order.picking"


async def test_confirming_an_order_that_is_not_being_picked_is_refused(floor: Floor) -> None:
    order = await accepted(floor)
    with pytest.raises(TransitionRefused) as caught:
        await floor.db.run(service.confirm_pick, floor.alice, order.id, "APPLE", 1)
    assert caught.value.code == "not_picking"


# -- pickers racing -------------------------------------------------------------------------------


async def test_two_pickers_starting_the_same_order_at_once_one_wins_the_other_sees_who(floor: Floor) -> None:
    order = await accepted(floor)
    seen = [service.Seen(order.id, order.version)]
    outcomes = await asyncio.gather(
        floor.db.run(service.start_batch, floor.alice, order.location_id, seen),
        floor.db.run(service.start_batch, floor.bruno, order.location_id, seen),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, service.Started)]
    lost = [o for o in outcomes if isinstance(o, PickConflict)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    winner = "Alice Picker" if outcomes[0] is won[0] else "Bruno Picker"
    assert (lost[0].code, lost[0].by, lost[0].current.status) == ("picked_by_another", winner, "picking")
    async with floor.db.read() as session:
        batches = (await board.fulfilment_of(session, order.id)).batch_id
    assert batches == won[0].batch_id


async def test_another_picker_confirming_is_told_who_has_the_order(floor: Floor) -> None:
    order = await picking(floor, await accepted(floor), floor.alice)
    with pytest.raises(PickConflict) as caught:
        await floor.db.run(service.confirm_pick, floor.bruno, order.id, "APPLE", 1, version=order.version)
    assert (caught.value.code, caught.value.by) == ("picked_by_another", "Alice Picker")


async def test_two_confirmations_of_one_version_at_once_one_wins_the_other_is_stale_naming_who(
    floor: Floor,
) -> None:
    order = await picking(floor, await accepted(floor), floor.alice)
    outcomes = await asyncio.gather(
        floor.db.run(service.confirm_pick, floor.alice, order.id, "APPLE", 1, version=order.version),
        floor.db.run(service.confirm_pick, floor.alice, order.id, "PEAR", 1, version=order.version),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, service.Picked)]
    lost = [o for o in outcomes if isinstance(o, PickConflict)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    assert (lost[0].code, lost[0].by, lost[0].current.version) == (
        "changed_by_another",
        "Alice Picker",
        order.version + 1,
    )
    async with floor.db.read() as session:
        view = await board.fulfilment_of(session, order.id)
    assert sum(line.picked_quantity for line in view.lines) == 1


# -- short picks ----------------------------------------------------------------------------------


async def test_a_short_pick_records_the_discrepancy_and_puts_the_order_on_hold(floor: Floor) -> None:
    apple, ent = floor.shop.products["APPLE"], floor.shop.warehouse
    order = await picking(floor, await accepted(floor, lines=[WantedLine("APPLE", 3), WantedLine("PEAR", 1)]))
    before = await level(floor.db, apple, ent)
    held_summary = await floor.db.run(
        service.short_pick, floor.alice, order.id, "APPLE", 1, version=order.version
    )
    assert held_summary.status == "on_hold"
    after = await level(floor.db, apple, ent)
    assert (after.on_hand, after.reserved, after.backordered) == (
        before.on_hand - 2,
        before.reserved - 2,
        before.backordered + 2,
    )
    assert await ledger_mismatches(floor.db) == []
    assert (apple, 1, 2) in await held(floor, order.id)
    async with floor.db.read() as session:
        kinds = (
            await session.execute(
                select(StockMovement.kind, StockMovement.quantity, StockMovement.reason).where(
                    StockMovement.reference == f"order:{order.id}"
                )
            )
        ).all()
        view = await board.fulfilment_of(session, order.id)
    assert [tuple(k) for k in kinds] == [("discrepancy", -2, "short pick")]
    assert [(line.picked_quantity, line.short_quantity) for line in view.lines] == [(1, 2), (0, 0)]
    trail = [(e.type, e.data.get("reason")) for e in await events(floor, order.id)][-2:]
    assert trail == [("order.short_pick", None), ("order.on_hold", "short pick")]
    # The owner cancels: everything held and owed is given back; the books still add up.
    await orders.cancel_order(floor.db, floor.owner, order.id, "no more apples")
    final = await level(floor.db, apple, ent)
    assert (final.on_hand, final.reserved, final.backordered) == (before.on_hand - 2, before.reserved - 3, 0)
    assert await ledger_mismatches(floor.db) == []


async def test_after_a_short_pick_arriving_stock_goes_to_the_order_and_picking_starts_over(
    floor: Floor,
) -> None:
    apple, ent = floor.shop.products["APPLE"], floor.shop.warehouse
    order = await picking(floor, await accepted(floor, lines=[WantedLine("APPLE", 2)]))
    await floor.db.run(service.short_pick, floor.alice, order.id, "APPLE", 0)
    assert await held(floor, order.id) == [(apple, 0, 2)]
    await receive_stock(floor.db, apple, ent, 5)
    assert await held(floor, order.id) == [(apple, 2, 0)]
    again = await orders.accept_order(floor.db, floor.owner, order.id)
    again = await picking(floor, again)
    async with floor.db.read() as session:
        view = await board.fulfilment_of(session, order.id)
    assert [(line.picked_quantity, line.short_quantity) for line in view.lines] == [(0, 0)]
    done = await floor.db.run(service.confirm_pick, floor.alice, order.id, "APPLE", 2)
    assert done.complete


# -- packing --------------------------------------------------------------------------------------


async def test_packing_before_every_line_is_picked_is_a_conflict(floor: Floor) -> None:
    order = await picking(floor, await accepted(floor))
    await floor.db.run(service.confirm_pick, floor.alice, order.id, "APPLE", 2)
    with pytest.raises(TransitionRefused) as caught:
        await floor.db.run(service.pack, floor.alice, order.id, 1, 900)
    assert (caught.value.code, caught.value.current.status) == ("not_all_picked", "picking")
    with pytest.raises(FulfilmentRejected) as bad:
        await floor.db.run(service.pack, floor.alice, order.id, 0, 900)
    assert bad.value.problems == {"parcels": "parcels_invalid"}


async def test_packing_records_parcels_and_weight(floor: Floor) -> None:
    order = await picked_all(floor, await accepted(floor))
    done = await floor.db.run(service.pack, floor.bruno, order.id, 2, 3250, version=order.version)
    assert (done.status, done.version) == ("packed", order.version + 1)
    async with floor.db.read() as session:
        view = await board.fulfilment_of(session, order.id)
        ready = await board.ready_for_delivery(session)
    assert (view.parcels, view.weight_g) == (2, 3250)
    assert [card.order_id for card in ready] == [order.id]
    last = (await events(floor, order.id))[-1]
    assert (last.type, last.data["parcels"], last.data["weight_g"]) == ("order.packed", 2, 3250)
    with pytest.raises(PickConflict) as stale:
        await floor.db.run(service.ship, floor.bruno, order.id, "ups", "1Z", version=order.version)
    assert stale.value.by == "Bruno Picker"


# -- shipping -------------------------------------------------------------------------------------


async def test_shipping_records_the_carrier_and_tracking_number_and_sells_the_reservation(
    floor: Floor,
) -> None:
    apple, pear, ent = floor.shop.products["APPLE"], floor.shop.products["PEAR"], floor.shop.warehouse
    order = await packed(floor, await accepted(floor, fulfilment_mode="shipping"))
    before = {p: await level(floor.db, p, ent) for p in (apple, pear)}
    for carrier, number, problem in [
        ("ups", "   ", {"tracking_number": "tracking_required"}),
        ("ups", "x" * 200, {"tracking_number": "tracking_too_long"}),
        ("pigeon", "123", {"carrier": "carrier_unknown"}),
    ]:
        with pytest.raises(FulfilmentRejected) as caught:
            await floor.db.run(service.ship, floor.alice, order.id, carrier, number)
        assert caught.value.problems == problem
    shipped = await floor.db.run(
        service.ship, floor.alice, order.id, "ups", "  1Z999AA1  ", version=order.version
    )
    assert shipped.status == "shipped"
    for product, quantity in ((apple, 2), (pear, 1)):
        after = await level(floor.db, product, ent)
        assert after.reserved == before[product].reserved - quantity
        assert after.on_hand == before[product].on_hand - quantity
    assert await sales(floor, order.id) == sorted([(apple, -2), (pear, -1)])
    assert await held(floor, order.id) == []
    assert await ledger_mismatches(floor.db) == []
    async with floor.db.read() as session:
        view = await board.fulfilment_of(session, order.id)
        today = await board.board(session, datetime.now(UTC) - timedelta(hours=1))
    assert (view.carrier, view.carrier_name, view.tracking_number) == ("ups", "UPS", "1Z999AA1")
    assert view.tracking_url == "https://www.ups.com/track?tracknum=1Z999AA1"
    assert today.counts[Stage.SHIPPED_TODAY] == 1
    assert [card.order_id for card in today.cards[Stage.SHIPPED_TODAY]] == [order.id]
    last = (await events(floor, order.id))[-1]
    assert (last.type, last.data["carrier"], last.data["tracking_number"]) == (
        "order.shipped",
        "ups",
        "1Z999AA1",
    )


async def test_a_carrier_added_to_the_list_can_be_shipped_with(floor: Floor) -> None:
    gls = CarrierInfo("gls", "GLS", "https://gls-group.eu/track/{number}")
    await floor.db.run(save_carrier, floor.owner.user_id, gls)
    with pytest.raises(FulfilmentRejected):
        await floor.db.run(save_carrier, floor.owner.user_id, CarrierInfo("x", "X", "ftp://{number}"))
    async with floor.db.read() as session:
        listed = await carriers(session)
    assert [c.code for c in listed] == ["colissimo", "chronopost", "dhl", "ups", "other", "gls"]
    order = await packed(floor, await accepted(floor, fulfilment_mode="shipping"))
    await floor.db.run(service.ship, floor.alice, order.id, "gls", "GLS-1")
    async with floor.db.read() as session:
        assert (
            await board.fulfilment_of(session, order.id)
        ).tracking_url == "https://gls-group.eu/track/GLS-1"


# -- pickup ---------------------------------------------------------------------------------------


async def pickup_order(floor: Floor) -> tuple[OrderSummary, str]:
    order = await accepted(
        floor, fulfilment_mode="pickup", location="BTQ", address=None, lines=[WantedLine("APPLE", 2)]
    )
    order = await packed(floor, order)
    ready = await floor.db.run(service.ready_for_pickup, floor.alice, KEY, order.id, version=order.version)
    assert ready.summary.status == "ready_for_pickup"
    return ready.summary, ready.pickup_code


def another(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_a_pickup_order_gets_a_code_stored_only_as_a_hash_and_shown_again(floor: Floor) -> None:
    order, code = await pickup_order(floor)
    assert rules.code_problem(code) is None  # six digits
    async with floor.db.read() as session:
        row = await session.get(Fulfilment, order.id)
        shown = await board.pickup_code_of(session, KEY, order.id)
        wrong_key = await board.pickup_code_of(session, rules.pickup_key("other"), order.id)
    assert code not in (row.pickup_code_hash, row.pickup_salt)
    assert (shown, wrong_key) == (code, None)
    assert code not in str([e.data for e in await events(floor, order.id)])


async def test_collecting_with_the_code_sells_the_reservation_and_twice_is_refused(floor: Floor) -> None:
    apple, btq = floor.shop.products["APPLE"], floor.shop.boutique
    order, code = await pickup_order(floor)
    before = await level(floor.db, apple, btq)
    wrong = await floor.db.run(service.collect, floor.bruno, KEY, order.id, another(code))
    assert (wrong.collected, wrong.refused, wrong.attempts_left, wrong.summary.status) == (
        False,
        "code_wrong",
        4,
        "ready_for_pickup",
    )
    done = await floor.db.run(service.collect, floor.bruno, KEY, order.id, f"{code[:3]} {code[3:]}")
    assert (done.collected, done.summary.status) == (True, "picked_up")
    after = await level(floor.db, apple, btq)
    assert (after.on_hand, after.reserved) == (before.on_hand - 2, before.reserved - 2)
    assert await sales(floor, order.id) == [(apple, -2)]
    assert await ledger_mismatches(floor.db) == []
    with pytest.raises(TransitionRefused) as twice:
        await floor.db.run(service.collect, floor.bruno, KEY, order.id, code)
    assert twice.value.current.status == "picked_up"
    assert await sales(floor, order.id) == [(apple, -2)]
    async with floor.db.read() as session:
        assert await board.pickup_code_of(session, KEY, order.id) is None


async def test_five_wrong_codes_lock_the_order_for_fifteen_minutes(floor: Floor) -> None:
    order, code = await pickup_order(floor)
    for left in (4, 3, 2, 1):
        refused = await floor.db.run(service.collect, floor.bruno, KEY, order.id, another(code))
        assert (refused.refused, refused.attempts_left) == ("code_wrong", left)
    locked = await floor.db.run(service.collect, floor.bruno, KEY, order.id, another(code))
    assert (locked.refused, locked.attempts_left) == ("code_locked", 0)
    assert timedelta(minutes=14) < locked.locked_until - datetime.now(UTC) <= timedelta(minutes=15)
    still = await floor.db.run(service.collect, floor.bruno, KEY, order.id, code)  # even the right one
    assert (still.collected, still.refused, still.summary.status) == (
        False,
        "code_locked",
        "ready_for_pickup",
    )
    refusals = [e for e in await events(floor, order.id) if e.type == "order.pickup_code_refused"]
    assert [e.data["locked"] for e in refusals] == [False, False, False, False, True]
    await floor.db.run(
        run_sql,
        "UPDATE fulfilments SET locked_until = :past WHERE order_id = :id",
        {"past": datetime.now(UTC) - timedelta(seconds=1), "id": order.id},
    )
    done = await floor.db.run(service.collect, floor.bruno, KEY, order.id, code)
    assert done.collected


async def test_a_code_for_another_order_is_wrong_and_a_malformed_one_is_not_counted(floor: Floor) -> None:
    first, first_code = await pickup_order(floor)
    _, second_code = await pickup_order(floor)
    if first_code != second_code:  # codes of two orders differ but for a one-in-a-million chance
        refused = await floor.db.run(service.collect, floor.bruno, KEY, first.id, second_code)
        assert refused.refused == "code_wrong"
    with pytest.raises(FulfilmentRejected) as caught:
        await floor.db.run(service.collect, floor.bruno, KEY, first.id, "12ab")
    assert caught.value.problems == {"code": "code_invalid"}
    with pytest.raises(OrderForbidden):
        await floor.db.run(service.collect, floor.driver, KEY, first.id, first_code)
    async with floor.db.read() as session:
        row = await session.get(Fulfilment, first.id)
    assert row.wrong_codes == (1 if first_code != second_code else 0)


async def test_each_hand_over_fits_only_its_mode(floor: Floor) -> None:
    order = await packed(floor, await accepted(floor))  # a delivery
    with pytest.raises(TransitionRefused) as caught:
        await floor.db.run(service.ready_for_pickup, floor.alice, KEY, order.id)
    assert caught.value.code == "wrong_mode"
    with pytest.raises(TransitionRefused):
        await floor.db.run(service.ship, floor.alice, order.id, "ups", "1Z")


# -- shelf positions ------------------------------------------------------------------------------


async def test_a_shelf_position_is_kept_per_product_and_location_and_checked(floor: Floor) -> None:
    apple, ent, btq = floor.shop.products["APPLE"], floor.shop.warehouse, floor.shop.boutique
    shown = await floor.db.run(set_bin, floor.owner.user_id, apple, ent, " c-07 ")
    assert shown.bin == "C-07"
    with pytest.raises(StockRejected) as caught:
        await floor.db.run(set_bin, floor.owner.user_id, apple, ent, "x" * 40)
    assert caught.value.problems == {"bin": "bin_invalid"}
    cleared = await floor.db.run(set_bin, floor.owner.user_id, apple, btq, "  ")
    assert cleared.bin is None
    async with floor.db.read() as session:
        bins = dict(
            (
                await session.execute(
                    select(StockLevel.location_id, StockLevel.bin).where(StockLevel.product_id == apple)
                )
            ).all()
        )
    assert bins == {ent: "C-07", btq: None}
