"""Fulfilment commands: start a pick batch, confirm lines (or report a short pick), pack, and hand
over (ready for pickup and collected, or shipped). Each is a module-level ``fn(tx, …)`` run with
``await db.run(fn, …)``; each checks the caller's right, the order's status and, when given, the
``version`` the caller saw, and records its events in the same transaction.

Orders move only through the orders domain's ``move_order`` (its one transition table, its version
claim, its ``order.<status>`` event, its stock release or sale); stock changes only through the
inventory core. What raises writes nothing: ``FulfilmentRejected`` (bad input), ``PickConflict``
(someone else has the order, or changed it first: a stale version naming who), and the orders
domain's ``OrderNotFound``, ``OrderForbidden`` and ``TransitionRefused``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from backend.auth.models import User
from backend.auth.rules import Permission
from backend.catalog.models import Product
from backend.catalog.rules import normalise_sku
from backend.fulfilment import rules
from backend.fulfilment.carriers import carrier_named
from backend.fulfilment.errors import FulfilmentRejected, PickConflict
from backend.fulfilment.events import LinePicked, PickupCodeRefused, PickupIdentityChecked, ShortPick
from backend.fulfilment.models import Fulfilment, PickBatch, PickedLine
from backend.inventory.holds import record_shortfall
from backend.kernel.db import utcnow
from backend.kernel.events import Event, record
from backend.kernel.tx import Tx
from backend.orders.errors import OrderForbidden, OrderNotFound, StaleOrder, TransitionRefused
from backend.orders.models import Order, OrderLine
from backend.orders.records import claim, load_summary
from backend.orders.rules import Actor, OrderStatus
from backend.orders.service import Move, move_order
from backend.orders.stocking import reference
from backend.orders.views import OrderSummary

__all__ = [
    "Collection",
    "IdentityCheck",
    "Picked",
    "Ready",
    "Seen",
    "Started",
    "collect",
    "collect_on_identity",
    "confirm_pick",
    "pack",
    "ready_for_pickup",
    "ship",
    "short_pick",
    "start_batch",
]

S = OrderStatus


@dataclass(frozen=True)
class Seen:
    """An order as the picker saw it on the list: its id and, to check, its version."""

    order_id: int
    version: int | None = None


@dataclass(frozen=True)
class Started:
    batch_id: int
    orders: list[OrderSummary]  # in the order they were chosen


@dataclass(frozen=True)
class Picked:
    summary: OrderSummary
    sku: str
    picked_quantity: int  # of this line, now
    quantity: int  # ordered
    complete: bool  # every line of the order is picked: it may be packed


@dataclass(frozen=True)
class Ready:
    summary: OrderSummary
    pickup_code: str  # for the customer; only a keyed hash of it is stored


@dataclass(frozen=True)
class Collection:
    """The answer at the counter. A wrong code is counted, so it is an answer, not an error (an
    error would roll the count back): ``refused`` is ``code_wrong`` or ``code_locked``."""

    summary: OrderSummary
    collected: bool
    refused: str | None = None
    attempts_left: int = rules.MAX_WRONG_CODES
    locked_until: datetime | None = None


# -- shared steps ---------------------------------------------------------------------------------


def _may_manage(actor: Actor) -> None:
    if not actor.can(Permission.ORDERS_MANAGE):
        raise OrderForbidden("not_permitted")


def _order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id, populate_existing=True)
    if order is None:
        raise OrderNotFound(order_id)
    return order


def _fulfilment(session: Session, order_id: int) -> Fulfilment:
    """The order's fulfilment row, locked: counts (wrong codes) change from its values."""
    found = session.get(Fulfilment, order_id, with_for_update=True, populate_existing=True)
    if found is None:
        found = Fulfilment(order_id=order_id, wrong_codes=0)
        session.add(found)
    return found


def _name(session: Session, user_id: int | None) -> str | None:
    return None if user_id is None else session.scalar(select(User.name).where(User.id == user_id))


def _last_changed_by(session: Session, order_id: int) -> str | None:
    """Who made the order's latest change: its latest event's actor."""
    latest = (
        select(User.name)
        .select_from(Event)
        .join(User, User.id == Event.actor_id)
        .where(Event.subject == f"order:{order_id}")
        .order_by(Event.id.desc())
        .limit(1)
    )
    return session.scalar(latest)


def _changed(session: Session, order_id: int) -> PickConflict:
    return PickConflict(
        "changed_by_another", load_summary(session, order_id), _last_changed_by(session, order_id)
    )


def _check_version(session: Session, order: Order, version: int | None) -> None:
    if version is not None and version != order.version:
        raise _changed(session, order.id)


def _move(
    tx: Tx, actor: Actor, order_id: int, wanted: OrderStatus, version: int | None, **details: str | int
) -> OrderSummary:
    """The orders domain's move, with its stale-version error naming who got there first."""
    reason = details.pop("reason", "")
    try:
        return move_order(tx, actor, Move(order_id, wanted, version, str(reason)), details)
    except PickConflict:
        raise
    except StaleOrder:
        raise _changed(tx.session, order_id) from None


def _picking(session: Session, actor: Actor, order_id: int, version: int | None) -> tuple[Order, Fulfilment]:
    """An order being picked by this actor, as they saw it."""
    _may_manage(actor)
    order = _order(session, order_id)
    if order.status != S.PICKING:
        raise TransitionRefused("not_picking", load_summary(session, order_id))
    fulfilment = _fulfilment(session, order_id)
    if fulfilment.picker_id not in {None, actor.user_id}:
        by = _name(session, fulfilment.picker_id)
        raise PickConflict("picked_by_another", load_summary(session, order_id), by)
    _check_version(session, order, version)
    return order, fulfilment


def _line(session: Session, order_id: int, code: str) -> tuple[OrderLine, PickedLine]:
    """The order's line for a scanned or typed SKU or barcode, with what is picked of it."""
    cleaned = code.strip()
    if not cleaned:
        raise FulfilmentRejected({"code": "code_required"})
    query = (
        select(OrderLine)
        .join(Product, Product.id == OrderLine.product_id)
        .where(
            OrderLine.order_id == order_id,
            or_(OrderLine.sku == normalise_sku(cleaned), Product.barcode == cleaned),
        )
        .order_by(OrderLine.position)
        .limit(1)
    )
    line = session.scalar(query)
    if line is None:
        raise FulfilmentRejected({"code": "not_on_order"})
    picked = session.get(PickedLine, line.id)
    if picked is None:  # an order moved to picking some other way than a batch
        picked = PickedLine(order_line_id=line.id, order_id=order_id, picked_quantity=0, short_quantity=0)
        session.add(picked)
    return line, picked


def _lines_done(session: Session, order_id: int) -> bool:
    rows = session.execute(
        select(OrderLine.quantity, func.coalesce(PickedLine.picked_quantity, 0))
        .outerjoin(PickedLine, PickedLine.order_line_id == OrderLine.id)
        .where(OrderLine.order_id == order_id)
    ).all()
    return rules.all_picked((ordered, picked) for ordered, picked in rows)


# -- picking --------------------------------------------------------------------------------------


def start_batch(tx: Tx, actor: Actor, location_id: int, orders: list[Seen]) -> Started:
    """Command: the picker takes these accepted orders of the location off the shelves together.
    Each moves to ``picking`` (``order.picking``, with the batch), its lines start at nothing
    picked. All or none: an order another picker took meanwhile fails the batch naming them."""
    if problem := rules.batch_problem([seen.order_id for seen in orders]):
        raise FulfilmentRejected({"orders": problem})
    position = {seen.order_id: n for n, seen in enumerate(orders)}
    _may_manage(actor)
    session = tx.session
    batch = PickBatch(location_id=location_id, picker_id=actor.user_id, started_at=utcnow())
    session.add(batch)
    session.flush()
    moved: dict[int, OrderSummary] = {}
    for seen in sorted(orders, key=lambda seen: seen.order_id):  # rows locked in id order
        moved[seen.order_id] = _start_one(tx, actor, batch, seen, position[seen.order_id])
    return Started(batch.id, [moved[seen.order_id] for seen in orders])


def _start_one(tx: Tx, actor: Actor, batch: PickBatch, seen: Seen, index: int) -> OrderSummary:
    session = tx.session
    order = _order(session, seen.order_id)
    if order.location_id != batch.location_id:
        raise FulfilmentRejected({f"orders[{index}]": "wrong_location"})
    _check_taken(session, order.id, order.status)
    try:
        summary = _move(tx, actor, order.id, S.PICKING, seen.version, batch=batch.id)
    except (PickConflict, TransitionRefused) as exc:
        _check_taken(session, order.id, exc.current.status)  # another picker won the race
        raise
    fulfilment = _fulfilment(session, order.id)
    fulfilment.batch_id, fulfilment.picker_id = batch.id, actor.user_id
    fulfilment.picking_started_at = batch.started_at
    # Picking starts over: after a short pick and a decision, the shelves are walked again.
    session.execute(delete(PickedLine).where(PickedLine.order_id == order.id))
    line_ids = session.scalars(select(OrderLine.id).where(OrderLine.order_id == order.id)).all()
    session.add_all(
        PickedLine(order_line_id=line_id, order_id=order.id, picked_quantity=0, short_quantity=0)
        for line_id in line_ids
    )
    return summary


def _check_taken(session: Session, order_id: int, status: str) -> None:
    if status == S.PICKING:
        picker = session.scalar(select(Fulfilment.picker_id).where(Fulfilment.order_id == order_id))
        raise PickConflict("picked_by_another", load_summary(session, order_id), _name(session, picker))


_PICKED = (
    "UPDATE picked_lines SET picked_quantity = picked_quantity + :quantity WHERE order_line_id = :line_id"
)


def confirm_pick(
    tx: Tx, actor: Actor, order_id: int, code: str, quantity: int, *, version: int | None = None
) -> Picked:
    """Command: ``quantity`` more units of the line whose SKU or barcode is ``code`` are in the
    basket (``order.line_picked``). A product not on the order, or more than it asks for, is
    refused (``FulfilmentRejected``); only the order's picker may confirm (``PickConflict``)."""
    session = tx.session
    order, _ = _picking(session, actor, order_id, version)
    line, picked = _line(session, order_id, code)
    if problem := rules.pick_problem(quantity, line.quantity, picked.picked_quantity):
        raise FulfilmentRejected({"quantity": problem})
    try:
        claim(session, order)
    except StaleOrder:
        raise _changed(session, order_id) from None
    # Counted in SQL, not through the session's unit of work: a confirmation is the picker's most
    # frequent write, and the flush of one changed row was a quarter of its time in the writer.
    tx.execute(_PICKED, {"quantity": quantity, "line_id": line.id})
    set_committed_value(picked, "picked_quantity", picked.picked_quantity + quantity)
    picked_now = LinePicked(
        number=order.number,
        sku=line.sku,
        quantity=quantity,
        picked=picked.picked_quantity,
        ordered=line.quantity,
    )
    record(tx, picked_now, f"order:{order_id}", actor.user_id)
    summary = load_summary(session, order_id)
    return Picked(summary, line.sku, picked.picked_quantity, line.quantity, _lines_done(session, order_id))


def short_pick(
    tx: Tx, actor: Actor, order_id: int, code: str, found: int, *, version: int | None = None
) -> OrderSummary:
    """Command: the shelf holds only ``found`` units (in all) of this line, fewer than the order
    asks for. The missing units are a discrepancy on the ledger (on-hand and the reservation drop
    by them; the order is owed them as a backorder), and the order goes on hold with the reason
    "short pick" for the owner to decide: wait for stock, edit the order, or cancel it."""
    session = tx.session
    order, _ = _picking(session, actor, order_id, version)
    line, picked = _line(session, order_id, code)
    if problem := rules.short_problem(found, line.quantity):
        raise FulfilmentRejected({"found": problem})
    missing = line.quantity - found
    corrected = record_shortfall(
        tx,
        reference(order_id),
        product_id=line.product_id,
        location_id=order.location_id,
        missing=missing,
        actor_id=actor.user_id,
        reason=rules.SHORT_PICK_REASON,
    )
    picked.picked_quantity, picked.short_quantity = found, missing
    short = ShortPick(
        number=order.number, sku=line.sku, ordered=line.quantity, found=found, corrected=corrected
    )
    record(tx, short, f"order:{order_id}", actor.user_id)
    return _move(tx, actor, order_id, S.ON_HOLD, version, reason=rules.SHORT_PICK_REASON)


# -- packing and handing over ---------------------------------------------------------------------


def pack(
    tx: Tx, actor: Actor, order_id: int, parcels: int, weight_g: int, *, version: int | None = None
) -> OrderSummary:
    """Command: picking → packed, with the parcel count and weight (``order.packed``). Before
    every line is picked the move is refused (``TransitionRefused("not_all_picked")``)."""
    if problems := rules.parcel_problems(parcels, weight_g):
        raise FulfilmentRejected(problems)
    _may_manage(actor)
    session = tx.session
    order = _order(session, order_id)
    if order.status == S.PICKING and not _lines_done(session, order_id):
        raise TransitionRefused("not_all_picked", load_summary(session, order_id))
    summary = _move(tx, actor, order_id, S.PACKED, version, parcels=parcels, weight_g=weight_g)
    fulfilment = _fulfilment(session, order_id)
    fulfilment.parcels, fulfilment.weight_g, fulfilment.packed_at = parcels, weight_g, utcnow()
    return summary


def ready_for_pickup(tx: Tx, actor: Actor, key: bytes, order_id: int, *, version: int | None = None) -> Ready:
    """Command: packed → ready for pickup (pickup orders), with a new 6-digit code for the customer.
    ``key`` is ``rules.pickup_key(settings.secret_key)``; only the code's keyed hash and the salt
    it was made from are stored, so ``board.pickup_code_of`` can show it again."""
    summary = _move(tx, actor, order_id, S.READY_FOR_PICKUP, version)
    salt = secrets.token_hex(8)
    code = rules.pickup_code(key, order_id, salt)
    fulfilment = _fulfilment(tx.session, order_id)
    fulfilment.pickup_salt, fulfilment.pickup_code_hash = salt, rules.code_hash(key, order_id, code)
    fulfilment.wrong_codes, fulfilment.locked_until = 0, None
    return Ready(summary, code)


def collect(
    tx: Tx, actor: Actor, key: bytes, order_id: int, code: str, *, version: int | None = None
) -> Collection:
    """Command: the customer shows their code at the counter. The right one: ready for pickup →
    picked up, and the reservation becomes a sale on the ledger. A wrong one is counted
    (``order.pickup_code_refused``); the fifth in a row locks the order for 15 minutes, during
    which every code is refused unread. Collecting twice is refused (``TransitionRefused``)."""
    cleaned = rules.normalise_code(code)
    if problem := rules.code_problem(cleaned):
        raise FulfilmentRejected({"code": problem})
    _may_manage(actor)
    session = tx.session
    order = _order(session, order_id)
    if order.status != S.READY_FOR_PICKUP:
        raise TransitionRefused("transition_not_allowed", load_summary(session, order_id))
    _check_version(session, order, version)
    fulfilment = _fulfilment(session, order_id)
    now = utcnow()
    if rules.is_locked(fulfilment.locked_until, now):
        return Collection(load_summary(session, order_id), False, "code_locked", 0, fulfilment.locked_until)
    if not rules.code_matches(key, order_id, cleaned, fulfilment.pickup_code_hash):
        return _wrong_code(tx, actor, order, fulfilment, now)
    summary = _move(tx, actor, order_id, S.PICKED_UP, version)
    fulfilment.wrong_codes, fulfilment.locked_until, fulfilment.dispatched_at = 0, None, now
    return Collection(summary, True)


@dataclass(frozen=True)
class IdentityCheck:
    """What staff say at the counter when the customer has no code: that they checked the
    person's identity document (the box ticked) and which document it was."""

    checked: bool
    shown: str


def collect_on_identity(
    tx: Tx,
    actor: Actor,
    order_id: int,
    check: IdentityCheck,
    *,
    location_id: int | None = None,
    version: int | None = None,
) -> OrderSummary:
    """Command: the customer has no code (a flat phone, a lost message), so staff check their
    identity instead: ready for pickup → picked up, the same sale as with the code. Refused
    (``FulfilmentRejected``) unless the check is said and described, or when the order waits at
    another location than the counter's (``location_id``). A code locked after wrong tries does
    not stop it — the person is checked, not the code — but the event that keeps the check on the
    order's timeline, with who made it, says the code was locked. Collecting twice is refused
    (``TransitionRefused``), as with the code."""
    shown = rules.normalise_identity_note(check.shown)
    if problems := rules.identity_problems(check.checked, shown):
        raise FulfilmentRejected(problems)
    _may_manage(actor)
    session = tx.session
    order = _order(session, order_id)
    if order.status != S.READY_FOR_PICKUP:
        raise TransitionRefused("transition_not_allowed", load_summary(session, order_id))
    if location_id is not None and order.location_id != location_id:
        raise FulfilmentRejected({"order": "wrong_location"})
    _check_version(session, order, version)
    fulfilment = _fulfilment(session, order_id)
    now = utcnow()
    locked = rules.is_locked(fulfilment.locked_until, now)
    checked = PickupIdentityChecked(number=order.number, shown=shown, code_locked=locked)
    record(tx, checked, f"order:{order_id}", actor.user_id)
    summary = _move(tx, actor, order_id, S.PICKED_UP, version)
    fulfilment.wrong_codes, fulfilment.locked_until, fulfilment.dispatched_at = 0, None, now
    return summary


def _wrong_code(tx: Tx, actor: Actor, order: Order, fulfilment: Fulfilment, now: datetime) -> Collection:
    fulfilment.wrong_codes, fulfilment.locked_until = rules.after_wrong_code(fulfilment.wrong_codes, now)
    locked = fulfilment.locked_until is not None
    left = 0 if locked else rules.attempts_left(fulfilment.wrong_codes)
    refusal = PickupCodeRefused(number=order.number, attempts_left=left, locked=locked)
    record(tx, refusal, f"order:{order.id}", actor.user_id)
    refused = "code_locked" if locked else "code_wrong"
    return Collection(load_summary(tx.session, order.id), False, refused, left, fulfilment.locked_until)


def ship(
    tx: Tx, actor: Actor, order_id: int, carrier: str, tracking_number: str, *, version: int | None = None
) -> OrderSummary:
    """Command: packed → shipped (shipping orders) with a carrier of the list and the parcel's
    tracking number (trimmed, 1 to 100 characters); the reservation becomes a sale."""
    number = rules.normalise_tracking(tracking_number)
    if problem := rules.tracking_problem(number):
        raise FulfilmentRejected({"tracking_number": problem})
    chosen = carrier_named(tx.session, carrier)
    summary = _move(tx, actor, order_id, S.SHIPPED, version, carrier=chosen.code, tracking_number=number)
    fulfilment = _fulfilment(tx.session, order_id)
    fulfilment.carrier, fulfilment.tracking_number, fulfilment.dispatched_at = chosen.code, number, utcnow()
    return summary
