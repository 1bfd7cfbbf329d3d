"""Demo orders: about 200 over the last 90 days, from every channel, in every status.

Each goes through ``place_order`` and the lifecycle like a real one (stock reserved, sold or
released; events on its timeline), then its times are moved back to the day it pretends to have
arrived. Each carries the external reference ``DEMO-nnn``: running the demo again skips those
already there. When the stock runs short, a supplier delivery comes in first.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.catalog.models import Product
from backend.demo.fulfilment import Walker
from backend.fulfilment.models import Fulfilment
from backend.inventory import service as stock
from backend.inventory.models import Location
from backend.inventory.rules import MovementKind
from backend.kernel.db import Database, utcnow
from backend.kernel.events import Event
from backend.kernel.tx import Tx
from backend.orders import ratings, service
from backend.orders.drafts import Address, CustomerDetails, OrderDraft, WantedLine
from backend.orders.errors import DuplicateExternalRef, OutOfStock
from backend.orders.models import Order, OrderRating
from backend.orders.rules import Actor, OrderStatus
from backend.orders.views import PlacedOrder
from backend.purchasing.reorder import draft_reorder

ORDER_COUNT = 200
DAYS = 90
S = OrderStatus

FIRST_NAMES = ("Léa", "Hugo", "Chloé", "Louis", "Inès", "Jules", "Manon", "Adam", "Zoé", "Nathan")
LAST_NAMES = ("Bernard", "Dubois", "Laurent", "Simon", "Michel", "Garcia", "Roux", "Fournier")
STREETS = (
    ("12 rue de la Roquette", "75011", 48.8553, 2.3731),
    ("5 avenue Parmentier", "75011", 48.8610, 2.3780),
    ("40 rue de Charonne", "75011", 48.8530, 2.3790),
    ("8 rue des Martyrs", "75009", 48.8790, 2.3400),
    ("21 boulevard Voltaire", "75011", 48.8640, 2.3700),
    ("3 rue de Bagnolet", "75020", 48.8590, 2.3990),
    ("17 rue de Paris", "93100", 48.8570, 2.4380),
)
CHANNELS = ("storefront", "storefront", "staff", "api", "marketplace")
MODES = ("delivery", "delivery", "pickup", "shipping")
PAYMENTS = {
    "delivery": ("card", "cash_on_delivery"),
    "pickup": ("card", "cash"),
    "shipping": ("card", "paypal"),
}

# The path to each status, after "placed".
DISPATCHED = {"delivery": S.OUT_FOR_DELIVERY, "pickup": S.READY_FOR_PICKUP, "shipping": S.SHIPPED}
DONE = {"delivery": S.DELIVERED, "pickup": S.PICKED_UP, "shipping": S.DELIVERED}
# The most recent orders walk the open statuses in turn; older ones are mostly finished.
OPEN_TARGETS = ("placed", "on_hold", "accepted", "picking", "packed", "dispatched", "delivery_failed")
WAITING = ("placed", "on_hold")  # what the acceptance queue shows


def _path(mode: str, target: str) -> list[OrderStatus]:
    flow = [S.ACCEPTED, S.PICKING, S.PACKED, DISPATCHED[mode], DONE[mode]]
    failed = [S.DELIVERY_FAILED] if mode == "delivery" else []
    short = {
        "placed": [],
        "on_hold": [S.ON_HOLD],
        "rejected": [S.REJECTED],
        "cancelled": [S.ACCEPTED, S.CANCELLED],
        "delivery_failed": [*flow[:4], *failed],
        "dispatched": flow[:4],
        "done": flow,
    }
    if target in short:
        return short[target]
    return flow[: flow.index(S(target)) + 1]


def _target(n: int, rng: random.Random) -> str:
    if n >= ORDER_COUNT - 28:
        return OPEN_TARGETS[n % len(OPEN_TARGETS)]
    return rng.choices(("done", "cancelled", "rejected"), weights=(16, 2, 2))[0]


def _draft(n: int, rng: random.Random, skus: list[str]) -> OrderDraft:
    person = n % 45  # customers come back: 45 of them share the orders
    first, last = FIRST_NAMES[person % len(FIRST_NAMES)], LAST_NAMES[person % len(LAST_NAMES)]
    street, postal, lat, lon = STREETS[person % len(STREETS)]
    mode = MODES[n % len(MODES)]
    customer = CustomerDetails(
        f"{first} {last}", f"{first.lower()}.{last.lower()}{person}@exemple.test", f"+336{person:08d}"
    )
    city = "Paris" if postal.startswith("75") else "Montreuil"
    lines = [WantedLine(sku, rng.randint(1, 2)) for sku in rng.sample(skus, rng.randint(1, 3))]
    return OrderDraft(
        customer=customer,
        lines=lines,
        fulfilment_mode=mode,
        payment_method=rng.choice(PAYMENTS[mode]),
        channel=CHANNELS[n % len(CHANNELS)],
        address=None if mode == "pickup" else Address(street, city, postal, "FR", lat, lon),
        location="BTQ" if mode == "pickup" else None,
        priority="rush" if n % 11 == 0 else "normal",
        external_ref=f"DEMO-{n:03d}",
    )


def _age(n: int, target: str, jitter: float) -> timedelta:
    """How long ago the order came in. Those still waiting for a decision arrived in the last
    minutes, as in a shop that keeps up: only some of them are late against the wait alert."""
    if target in WAITING:
        return timedelta(minutes=(ORDER_COUNT - n) // 2)
    return timedelta(days=DAYS * (1 - n / ORDER_COUNT) + jitter)


async def _backdate(db: Database, order_id: int, age: timedelta) -> None:
    placed = utcnow() - age
    step_gap = min(timedelta(minutes=20), age / 8)  # each step after the one before, none in the future
    await db.run(_move_back, order_id, placed, step_gap)


def _move_back(tx: Tx, order_id: int, placed: datetime, step_gap: timedelta) -> None:
    """The order placed at ``placed``, and each event of its timeline ``step_gap`` after the last."""
    session = tx.session
    session.execute(update(Order).where(Order.id == order_id).values(placed_at=placed, updated_at=placed))
    events = session.scalars(select(Event).where(Event.subject == f"order:{order_id}").order_by(Event.id))
    moments: dict[str, datetime] = {}
    for step, event in enumerate(events):
        event.at = placed + step_gap * step
        moments.setdefault(event.type, event.at)
    fulfilment = session.get(Fulfilment, order_id)
    if fulfilment is not None:  # its times follow the moves it records
        fulfilment.picking_started_at = moments.get("order.picking", fulfilment.picking_started_at)
        fulfilment.packed_at = moments.get("order.packed", fulfilment.packed_at)
        dispatched = moments.get("order.shipped") or moments.get("order.picked_up")
        fulfilment.dispatched_at = dispatched or fulfilment.dispatched_at


async def _skus(db: Database) -> list[str]:
    async with db.read() as session:
        return list(
            await session.scalars(
                select(Product.sku)
                .where(Product.active.is_(True), Product.allow_backorder.is_(False))
                .order_by(Product.sku)
            )
        )


async def _restock(db: Database, owner_id: int, short: OutOfStock) -> None:
    """A delivery from the supplier, so that every demo order can be placed on every run."""
    await db.run(_receive, short.location, [(line.sku, line.wanted) for line in short.short], owner_id)


def _receive(tx: Tx, location: str, wanted: list[tuple[str, int]], owner_id: int) -> None:
    session = tx.session
    location_id = session.scalar(select(Location.id).where(Location.code == location))
    products = dict(session.execute(select(Product.sku, Product.id)).all())
    for sku, units in sorted(wanted, key=lambda line: products[line[0]]):
        change = stock.Change(
            products[sku], location_id, units + 10, MovementKind.RECEIPT, "", "demo-restock"
        )
        stock.change_on_hand(tx, change, owner_id)
    stock.settle(tx, owner_id, draft_reorder)


async def _place(db: Database, actor: Actor, draft: OrderDraft, stocker_id: int | None = None) -> PlacedOrder:
    try:
        return await service.place_order(db, actor, draft)
    except OutOfStock as short:
        await _restock(db, stocker_id or actor.user_id or 0, short)
    return await service.place_order(db, actor, draft)


# The demo customer's own orders, placed from her account in the shop: one done, one under way,
# one waiting for the shop. Her "My orders" shows them, each with its tracking.
OWN_ORDERS = (("DEMO-C1", "done", 41), ("DEMO-C2", "accepted", 2), ("DEMO-C3", "placed", 0))


async def ensure_own_orders(db: Database, owner_id: int, customer_id: int, secret_key: str = "") -> int:
    """Place what is missing of the demo customer's own orders; returns how many were placed."""
    owner = Actor(owner_id, ROLE_PERMISSIONS[Role.OWNER])
    shopper = Actor(customer_id, ROLE_PERMISSIONS[Role.CUSTOMER], is_customer=True)
    skus = await _skus(db)
    async with db.read() as session:
        done = set(
            await session.scalars(select(Order.external_ref).where(Order.external_ref.like("DEMO-C%")))
        )
    walker = Walker(db, owner, secret_key)
    placed = 0
    for n, (ref, target, days) in enumerate(OWN_ORDERS):
        if ref in done:
            continue
        street, postal, lat, lon = STREETS[n]
        draft = OrderDraft(
            customer=CustomerDetails("Jeanne Petit", "customer@demo.test", "+33612345678"),
            lines=[WantedLine(sku, 1) for sku in skus[n * 2 : n * 2 + 2]],
            fulfilment_mode="delivery",
            payment_method="card",
            channel="storefront",
            address=Address(street, "Paris", postal, "FR", lat, lon),
            external_ref=ref,
        )
        order = await _place(db, shopper, draft, stocker_id=owner_id)
        for status in _path("delivery", target):
            await walker.move(order.id, status)
        await _backdate(db, order.id, timedelta(days=days, minutes=5))
        placed += 1
    return placed


async def ensure_orders(db: Database, owner_id: int, count: int = ORDER_COUNT, secret_key: str = "") -> int:
    """Place what is missing of the first ``count`` demo orders; returns how many were placed.
    The fulfilment steps go through its commands (``Walker``); ``secret_key`` makes pickup codes."""
    owner = Actor(owner_id, ROLE_PERMISSIONS[Role.OWNER])
    walker = Walker(db, owner, secret_key)
    rng = random.Random(2026)
    skus = await _skus(db)
    async with db.read() as session:
        done = set(await session.scalars(select(Order.external_ref).where(Order.external_ref.like("DEMO-%"))))
    placed = 0
    for n in range(ORDER_COUNT - count, ORDER_COUNT):  # the newest: every open status
        draft, target = _draft(n, rng, skus), _target(n, rng)  # drawn even when skipped: same orders
        if draft.external_ref in done:
            continue
        try:
            order = await _place(db, owner, draft)
        except DuplicateExternalRef:
            continue
        for status in _path(str(draft.fulfilment_mode), target):
            reason = "Demo" if status in {S.ON_HOLD, S.REJECTED, S.CANCELLED} else ""
            await walker.move(order.id, status, reason)
        await _backdate(db, order.id, _age(n, target, rng.random() / 4))
        placed += 1
    return placed


# What customers said of some finished orders: mostly happy, a few not, so that the ratings list
# and its average read like a real shop's. The demo customer rated her own finished order.
RATINGS = (
    (5, "Parfait, livré à l’heure."),
    (4, ""),
    (5, "Très bien emballé, merci !"),
    (2, "Livré avec une heure de retard."),
    (5, ""),
    (3, "Un article manquait, ajouté à la commande suivante."),
    (4, "Livreur très aimable."),
    (1, "Colis abîmé."),
)


async def ensure_ratings(db: Database) -> int:
    """Rate the first finished demo orders that have no rating yet; returns how many were rated."""
    async with db.read() as session:
        rated = select(OrderRating.order_id)
        query = (
            select(Order.id, Order.external_ref)
            .where(
                Order.external_ref.like("DEMO-%"),
                Order.status.in_([S.DELIVERED, S.PICKED_UP]),
                Order.id.not_in(rated),
            )
            .order_by(Order.external_ref.like("DEMO-C%").desc(), Order.id)
        )
        waiting = list((await session.execute(query)).all())
        already = await session.scalar(select(func.count()).select_from(OrderRating)) or 0
    made = 0
    for (order_id, _), (stars, comment) in zip(waiting, RATINGS[already:], strict=False):
        await db.run(ratings.rate_order, ratings.RatingInput(order_id, stars, comment, 0))
        made += 1
    return made
