"""The read side of fulfilment: what is waiting to be picked and in which order, a batch's pick
list walked by shelf position, the board's counts and lists per stage, the orders packed for a
delivery run, one order's fulfilment details, and a pickup code shown again to its customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.models import User
from backend.catalog.models import Product
from backend.fulfilment import rules
from backend.fulfilment.carriers import carriers, link_for
from backend.fulfilment.models import Fulfilment, PickBatch, PickedLine
from backend.fulfilment.rules import Stage
from backend.inventory.models import Location, StockLevel
from backend.orders.models import Order, OrderLine
from backend.orders.rules import FulfilmentMode, OrderStatus

BOARD_LIST_LENGTH = 50  # cards per stage; the counts say how many there are in all


@dataclass(frozen=True)
class Card:
    """An order as the board, the "to pick" list and the "ready for delivery" list show it."""

    order_id: int
    number: str
    status: str
    fulfilment_mode: str
    priority: str
    customer_name: str
    location_code: str
    placed_at: datetime
    updated_at: datetime
    version: int
    slot_start: datetime | None = None  # a delivery's slot, if one was chosen
    slot_end: datetime | None = None

    @property
    def due_at(self) -> datetime:
        return rules.due_at(self.placed_at, self.fulfilment_mode)


_CARD = (
    Order.id,
    Order.number,
    Order.status,
    Order.fulfilment_mode,
    Order.priority,
    Order.customer_name,
    Location.code,
    Order.placed_at,
    Order.updated_at,
    Order.version,
    Order.delivery_slot_start,
    Order.delivery_slot_end,
)


def _cards() -> Select[tuple[object, ...]]:
    return select(*_CARD).join(Location, Location.id == Order.location_id)


async def to_pick(session: AsyncSession, location_id: int, limit: int = 200) -> list[Card]:
    """Accepted orders of the location in the order to pick them (``rules.batch_order``): rush
    first, then the one due soonest, then the oldest."""
    query = _cards().where(Order.status == OrderStatus.ACCEPTED, Order.location_id == location_id)
    cards = [
        Card(*row) for row in await session.execute(query.order_by(Order.placed_at, Order.id).limit(limit))
    ]
    return rules.batch_order(cards)


@dataclass(frozen=True)
class PickRow:
    order_id: int
    order_number: str
    order_status: str  # "cancelled" while the batch was out: shown as a conflict, never picked
    order_version: int
    order_line_id: int
    product_id: int
    sku: str
    barcode: str | None
    name: str
    bin: str | None
    quantity: int
    picked_quantity: int
    short_quantity: int


@dataclass(frozen=True)
class PickList:
    batch_id: int
    location_id: int
    picker_name: str | None
    started_at: datetime
    rows: list[PickRow]  # by shelf position (``rules.shelf_key``)


async def pick_list(session: AsyncSession, batch_id: int) -> PickList | None:
    """The batch's lines, one row per order line, in the order the shelves are walked."""
    head = (
        await session.execute(
            select(PickBatch.id, PickBatch.location_id, User.name, PickBatch.started_at)
            .outerjoin(User, User.id == PickBatch.picker_id)
            .where(PickBatch.id == batch_id)
        )
    ).first()
    if head is None:
        return None
    query = (
        select(
            Order.id,
            Order.number,
            Order.status,
            Order.version,
            OrderLine.id,
            OrderLine.product_id,
            OrderLine.sku,
            Product.barcode,
            OrderLine.name,
            StockLevel.bin,
            OrderLine.quantity,
            func.coalesce(PickedLine.picked_quantity, 0),
            func.coalesce(PickedLine.short_quantity, 0),
        )
        .select_from(Fulfilment)
        .join(Order, Order.id == Fulfilment.order_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Product, Product.id == OrderLine.product_id)
        .outerjoin(PickedLine, PickedLine.order_line_id == OrderLine.id)
        .outerjoin(
            StockLevel,
            and_(StockLevel.product_id == OrderLine.product_id, StockLevel.location_id == Order.location_id),
        )
        .where(Fulfilment.batch_id == batch_id)
    )
    rows = [PickRow(*row) for row in await session.execute(query)]
    rows.sort(key=lambda row: rules.shelf_key(row.bin, row.sku, row.order_number))
    return PickList(head[0], head[1], head[2], head[3], rows)


@dataclass(frozen=True)
class Board:
    counts: dict[Stage, int]
    cards: dict[Stage, list[Card]]  # at most ``BOARD_LIST_LENGTH`` each, oldest first


def _shipped_since(since: datetime) -> list[object]:
    return [
        Fulfilment.dispatched_at >= since,
        Order.fulfilment_mode == FulfilmentMode.SHIPPING,
        Order.status.in_([OrderStatus.SHIPPED, OrderStatus.DELIVERED]),
    ]


async def board(
    session: AsyncSession, since: datetime, location_id: int | None = None, limit: int = BOARD_LIST_LENGTH
) -> Board:
    """Counts and cards per stage, in three queries. ``since`` is when "today" began in the
    shop's time zone: "shipped today" are the parcels handed to a carrier from then on."""
    where = [] if location_id is None else [Order.location_id == location_id]
    open_statuses = list(rules.STAGE_STATUS.values())
    by_status = select(Order.status, func.count()).where(Order.status.in_(open_statuses), *where)
    shipped = (
        select(literal(Stage.SHIPPED_TODAY.value), func.count())
        .select_from(Fulfilment)
        .join(Order, Order.id == Fulfilment.order_id)
        .where(*_shipped_since(since), *where)
    )
    counted = dict((await session.execute(union_all(by_status.group_by(Order.status), shipped))).all())
    stage_of = {status.value: stage for stage, status in rules.STAGE_STATUS.items()}
    counts = dict.fromkeys(Stage, 0)
    for key, number in counted.items():
        counts[stage_of.get(key, Stage.SHIPPED_TODAY)] = int(number)
    return Board(counts, await _board_cards(session, since, where, limit))


async def _board_cards(
    session: AsyncSession, since: datetime, where: list[object], limit: int
) -> dict[Stage, list[Card]]:
    open_statuses = list(rules.STAGE_STATUS.values())
    rank = (
        func.row_number().over(partition_by=Order.status, order_by=(Order.placed_at, Order.id)).label("rank")
    )
    ranked = _cards().add_columns(rank).where(Order.status.in_(open_statuses), *where).subquery()
    listed = select(*[ranked.c[column] for column in list(ranked.c.keys())[:-1]]).where(
        ranked.c.rank <= limit
    )
    cards: dict[Stage, list[Card]] = {stage: [] for stage in Stage}
    stage_of = {status.value: stage for stage, status in rules.STAGE_STATUS.items()}
    for row in await session.execute(listed.order_by(ranked.c.placed_at, ranked.c.id)):
        cards[stage_of[row[2]]].append(Card(*row))
    shipped = (
        _cards()
        .join(Fulfilment, Fulfilment.order_id == Order.id)
        .where(*_shipped_since(since), *where)
        .order_by(Fulfilment.dispatched_at.desc(), Order.id.desc())
        .limit(limit)
    )
    cards[Stage.SHIPPED_TODAY] = [Card(*row) for row in await session.execute(shipped)]
    return cards


async def ready_for_delivery(session: AsyncSession, location_id: int | None = None) -> list[Card]:
    """Packed delivery orders waiting for a run, oldest first."""
    query = _cards().where(
        Order.status == OrderStatus.PACKED, Order.fulfilment_mode == FulfilmentMode.DELIVERY
    )
    if location_id is not None:
        query = query.where(Order.location_id == location_id)
    return [Card(*row) for row in await session.execute(query.order_by(Order.placed_at, Order.id))]


@dataclass(frozen=True)
class LinePicked:
    order_line_id: int
    sku: str
    name: str
    quantity: int
    picked_quantity: int
    short_quantity: int


@dataclass(frozen=True)
class FulfilmentView:
    order_id: int
    lines: list[LinePicked]  # every line of the order, in its order; 0 picked before picking
    batch_id: int | None
    picker_name: str | None
    parcels: int | None
    weight_g: int | None
    carrier: str | None
    carrier_name: str | None
    tracking_number: str | None
    tracking_url: str | None
    wrong_codes: int
    locked_until: datetime | None
    picking_started_at: datetime | None
    packed_at: datetime | None
    dispatched_at: datetime | None


async def fulfilment_of(session: AsyncSession, order_id: int) -> FulfilmentView:
    """An order's picking, packing and hand-over (empty figures before picking starts)."""
    lines = [
        LinePicked(*row)
        for row in await session.execute(
            select(
                OrderLine.id,
                OrderLine.sku,
                OrderLine.name,
                OrderLine.quantity,
                func.coalesce(PickedLine.picked_quantity, 0),
                func.coalesce(PickedLine.short_quantity, 0),
            )
            .outerjoin(PickedLine, PickedLine.order_line_id == OrderLine.id)
            .where(OrderLine.order_id == order_id)
            .order_by(OrderLine.position)
        )
    ]
    found = (
        await session.execute(
            select(Fulfilment, User.name)
            .outerjoin(User, User.id == Fulfilment.picker_id)
            .where(Fulfilment.order_id == order_id)
        )
    ).first()
    if found is None:
        return FulfilmentView(order_id, lines, *([None] * 8), 0, None, None, None, None)
    row, picker = found
    listed = await carriers(session)
    name = next((carrier.name for carrier in listed if carrier.code == row.carrier), row.carrier)
    return FulfilmentView(
        order_id,
        lines,
        row.batch_id,
        picker,
        row.parcels,
        row.weight_g,
        row.carrier,
        name,
        row.tracking_number,
        link_for(listed, row.carrier, row.tracking_number),
        row.wrong_codes,
        row.locked_until,
        row.picking_started_at,
        row.packed_at,
        row.dispatched_at,
    )


async def pickup_code_of(session: AsyncSession, key: bytes, order_id: int) -> str | None:
    """The order's pickup code while it waits at the counter (for its tracking page), derived
    again from the stored salt: the code itself is stored nowhere."""
    query = (
        select(Fulfilment.pickup_salt, Fulfilment.pickup_code_hash)
        .join(Order, Order.id == Fulfilment.order_id)
        .where(Fulfilment.order_id == order_id, Order.status == OrderStatus.READY_FOR_PICKUP)
    )
    found = (await session.execute(query)).first()
    if found is None or found[0] is None:
        return None
    code = rules.pickup_code(key, order_id, found[0])
    # The hash says which code was issued: a salt that no longer matches it shows nothing.
    return code if rules.code_matches(key, order_id, code, found[1]) else None


@dataclass(frozen=True)
class OpenBatch:
    batch_id: int
    started_at: datetime
    orders: int  # still being picked


async def open_batches(session: AsyncSession, picker_id: int | None) -> list[OpenBatch]:
    """The picker's batches with orders still being picked, newest first: where to carry on."""
    query = (
        select(PickBatch.id, PickBatch.started_at, func.count(Order.id))
        .join(Fulfilment, Fulfilment.batch_id == PickBatch.id)
        .join(Order, Order.id == Fulfilment.order_id)
        .where(PickBatch.picker_id == picker_id, Order.status == OrderStatus.PICKING)
        .group_by(PickBatch.id, PickBatch.started_at)
        .order_by(PickBatch.id.desc())
    )
    return [OpenBatch(*row) for row in await session.execute(query)]


async def pickup_orders(
    session: AsyncSession, search: str = "", limit: int = 50, *, location_id: int | None = None
) -> list[Card]:
    """Orders waiting at the counter (of ``location_id``, when given), oldest first; ``search`` is
    part of the customer's name, e-mail or phone number, or of the order number."""
    query = _cards().where(Order.status == OrderStatus.READY_FOR_PICKUP)
    if location_id is not None:
        query = query.where(Order.location_id == location_id)
    words = search.strip()
    if words:
        escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        matches = [func.lower(Order.customer_name), func.lower(Order.number), func.lower(Order.email)]
        digits = "".join(char for char in words if char.isdigit())
        found = or_(*(column.like(pattern, escape="\\") for column in matches))
        if len(digits) >= 4:  # a phone number as people say it: "06 12 34" finds "+33612345678"
            national = digits[1:] if digits.startswith("0") and not digits.startswith("00") else digits
            found = found | Order.phone.like(f"%{national}%")
        query = query.where(found)
    rows = await session.execute(query.order_by(Order.placed_at, Order.id).limit(limit))
    return [Card(*row) for row in rows]


async def order_by_number(session: AsyncSession, number: str) -> int | None:
    return await session.scalar(select(Order.id).where(Order.number == number.strip().upper()))
