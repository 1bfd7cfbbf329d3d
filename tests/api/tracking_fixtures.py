"""Orders taken along each customer's way for the tracking tests: accepted, packed, ready for
pickup, shipped, out for delivery on a started run, delivered with a photo at the door."""

from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image, ImageDraw

from backend.auth.rules import Role
from backend.delivery import planning, proofs
from backend.delivery import service as delivery
from backend.delivery.rules import DropOff, Fix
from backend.fulfilment import service as fulfilment
from backend.fulfilment.rules import pickup_key
from backend.kernel.db import utcnow
from backend.kernel.tx import Tx
from backend.orders import service as orders
from backend.orders.drafts import WantedLine
from backend.orders.rules import Actor
from backend.orders.views import OrderSummary, PlacedOrder
from tests.api.conftest import Harness
from tests.api.order_fixtures import actor_for, draft

ONE = [WantedLine("APPLE", 1)]


def staff(harness: Harness) -> Actor:
    return actor_for(Role.OWNER, harness.users[Role.OWNER].id)


def driver(harness: Harness) -> Actor:
    return actor_for(Role.DRIVER, harness.users[Role.DRIVER].id)


async def placed(harness: Harness, *, own: bool = False, **changes: object) -> PlacedOrder:
    """An order; ``own``: placed in the shop by the signed-in customer, so it is their account's."""
    if own:
        customer = actor_for(Role.CUSTOMER, harness.users[Role.CUSTOMER].id)
        return await orders.place_order(
            harness.db, customer, draft(channel="storefront", lines=ONE, **changes)
        )
    return await orders.place_order(harness.db, staff(harness), draft(lines=ONE, **changes))


async def packed(harness: Harness, order: PlacedOrder) -> OrderSummary:
    owner = staff(harness)
    summary = await orders.accept_order(harness.db, owner, order.id)
    started = await harness.db.run(
        fulfilment.start_batch, owner, summary.location_id, [fulfilment.Seen(order.id)]
    )
    done = await harness.db.run(fulfilment.confirm_pick, owner, order.id, "APPLE", 1)
    assert started.orders
    return await harness.db.run(fulfilment.pack, owner, order.id, 1, 500, version=done.summary.version)


async def ready_for_pickup(harness: Harness, order: PlacedOrder) -> str:
    await packed(harness, order)
    key = pickup_key(harness.settings.secret_key)
    ready = await harness.db.run(fulfilment.ready_for_pickup, staff(harness), key, order.id)
    return ready.pickup_code


async def shipped(harness: Harness, order: PlacedOrder, number: str = "6A12345678901") -> None:
    await packed(harness, order)
    await harness.db.run(fulfilment.ship, staff(harness), order.id, "colissimo", number)


async def out_for_delivery(harness: Harness, *wanted: PlacedOrder) -> int:
    """The orders on one started run, in the order given (the first is the first stop); its id."""
    for order in wanted:
        await packed(harness, order)
    today = utcnow()
    run = await planning.plan_run(
        harness.db,
        staff(harness),
        harness.users[Role.DRIVER].id,
        date.today(),
        [o.id for o in wanted],
        starts_at=today,
    )
    run = await harness.db.run(delivery.start_run, driver(harness), run.id, version=run.version)
    return run.id


async def stop_of(harness: Harness, run_id: int, order_id: int) -> int:
    from backend.delivery import reads

    async with harness.db.read() as session:
        run = await reads.run(session, run_id)
    assert run is not None
    return next(stop.id for stop in run.stops if any(o.order_id == order_id for o in stop.orders))


async def at_position(harness: Harness, run_id: int, latitude: float, longitude: float) -> None:
    await harness.db.run(delivery.record_position, driver(harness), run_id, Fix(latitude, longitude, 15))


def photo() -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    ImageDraw.Draw(image).line((5, 5, 60, 40), fill=(0, 0, 0), width=3)
    image.save(out, "JPEG")
    return out.getvalue()


def signature() -> bytes:
    image = Image.new("RGBA", (120, 60), (0, 0, 0, 0))
    ImageDraw.Draw(image).line((5, 30, 110, 35), fill=(0, 0, 0, 255), width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def dropped_off(harness: Harness, run_id: int, order: PlacedOrder) -> str:
    """The order left at the door with a photo; the photo's hash."""
    stop_id = await stop_of(harness, run_id, order.id)
    kept = proofs.keep(harness.settings.delivery_proof_dir, photo(), signature())
    drop = DropOff("Ada", 48.8607, 2.3377, 12)
    await harness.db.run(delivery.confirm_drop_off, driver(harness), run_id, stop_id, drop, proofs=kept)
    assert kept.photo is not None
    return kept.photo


def _age(tx: Tx, order_id: int, days: int) -> None:
    """Move every event of the order ``days`` into the past, as if it were done that long ago."""
    from sqlalchemy import select

    from backend.kernel.events import Event

    for event in tx.session.scalars(select(Event).where(Event.subject == f"order:{order_id}")):
        event.at = event.at - timedelta(days=days)


async def done_days_ago(harness: Harness, order_id: int, days: int) -> None:
    await harness.db.run(_age, order_id, days)


def _set_tracking_days(tx: Tx, days: int) -> None:
    from backend.shop.models import ShopProfile
    from backend.shop.rules import DEFAULTS

    profile = tx.session.get(ShopProfile, 1)
    if profile is None:
        tx.session.add(ShopProfile(id=1, version=1, tracking_days=days, **DEFAULTS))
    else:
        profile.tracking_days = days


async def set_tracking_days(harness: Harness, days: int) -> None:
    await harness.db.run(_set_tracking_days, days)
