"""Order operations, each ONE write transaction: placing an order (every channel comes through
``place_order``), moving it through its lifecycle, editing it before picking starts.

The public functions take the ``Database`` and an ``Actor`` and return frozen views; they raise
the exceptions of ``orders.errors`` (and ``OrderRejected`` for bad input), each time having
written nothing. Stock goes through the inventory service's public functions only.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.auth.rules import Permission
from backend.inventory import holds
from backend.inventory.errors import StockError
from backend.inventory.settling import settle_batch
from backend.kernel.db import Database, utcnow
from backend.kernel.events import record
from backend.kernel.tx import Tx
from backend.orders import placing, stocking
from backend.orders.drafts import (
    OrderDraft,
    OrderRejected,
    draft_problems,
    normalise_address,
    normalise_customer,
)
from backend.orders.editing import OrderEdit, change_location, edit_order
from backend.orders.errors import (
    DuplicateExternalRef,
    OrderForbidden,
    OrderNotFound,
    StaleOrder,
    TransitionRefused,
)
from backend.orders.events import moved_to
from backend.orders.models import Order
from backend.orders.records import load_summary
from backend.orders.risk import DEFAULT_POLICY, RiskPolicy
from backend.orders.rules import (
    DISPATCHING,
    RELEASING,
    Actor,
    Channel,
    OrderStatus,
    reason_problem,
    transition_problem,
)
from backend.orders.views import OrderSummary, PlacedOrder
from backend.purchasing.reorder import draft_reorder

__all__ = [
    "AcceptStep",
    "OrderEdit",
    "accept_order",
    "apply_move",
    "cancel_order",
    "change_location",
    "edit_order",
    "hold_order",
    "move_order",
    "place_order",
    "reject_order",
    "release_order",
    "transition_order",
]

T = TypeVar("T")


def _normalised(draft: OrderDraft) -> OrderDraft:
    return OrderDraft(
        customer=normalise_customer(draft.customer),
        lines=draft.lines,
        fulfilment_mode=draft.fulfilment_mode,
        payment_method=draft.payment_method,
        channel=draft.channel,
        address=normalise_address(draft.address) if draft.address else None,
        location=draft.location.strip() if draft.location else None,
        priority=draft.priority,
        notes=draft.notes.strip(),
        external_ref=draft.external_ref.strip() if draft.external_ref else None,
        slot=draft.slot,
    )


def _check_may_place(actor: Actor, draft: OrderDraft) -> None:
    if draft.channel != Channel.STOREFRONT and not actor.can(Permission.ORDERS_PLACE):
        raise OrderForbidden("orders.place")


def _prepared(actor: Actor, draft: OrderDraft) -> OrderDraft:
    draft = _normalised(draft)
    if problems := draft_problems(draft):
        raise OrderRejected(problems)
    _check_may_place(actor, draft)
    return draft


async def place_order(
    db: Database, actor: Actor, draft: OrderDraft, *, policy: RiskPolicy = DEFAULT_POLICY
) -> PlacedOrder:
    """Validate, price from the catalog, choose the location, reserve every line (or none), match
    or create the customer, apply the risk rules and record ``order.placed`` — in one transaction
    (``placing.place``).

    Raises ``OrderRejected`` (bad input, field → code), ``OutOfStock`` (names the short lines),
    ``DuplicateExternalRef`` or ``OrderForbidden`` (channels other than the storefront need
    ``orders.place``). Anonymous storefront shoppers pass ``Actor(None)``.
    """
    draft = _prepared(actor, draft)
    placement = placing.Placement.of(actor, draft, policy, secrets.token_urlsafe(24))
    try:
        return await db.run(placing.place, placement)
    except (IntegrityError, sqlite3.IntegrityError):
        # A twin with the same external reference, placed by another process, won the race.
        await _check_external_ref(db, draft)
        raise


async def _check_external_ref(db: Database, draft: OrderDraft) -> None:
    """``placing.check_external_ref``, read after the fact: raise ``DuplicateExternalRef`` when
    the channel has an order with the draft's reference."""
    if draft.external_ref is None:
        return
    same = select(Order.id, Order.number).where(
        Order.channel == str(draft.channel), Order.external_ref == draft.external_ref
    )
    async with db.read() as session:
        found = (await session.execute(same)).first()
    if found is not None:
        raise DuplicateExternalRef(found.id, found.number)


# -- the lifecycle --------------------------------------------------------------------------------


AcceptStep = Callable[[Tx, int], object]
"""What a domain above orders does in an acceptance's own transaction, given the order's id
(``order_accepted``, ``web/dependencies.py``): a module-level function, since a command's arguments
may cross to the writer process."""


@dataclass(frozen=True)
class Move:
    """An order to move to ``wanted``; ``reason`` is already checked (``reason_problem``)."""

    order_id: int
    wanted: OrderStatus
    version: int | None
    reason: str


_MOVING = """SELECT o.number, o.status, o.version, o.fulfilment_mode, c.user_id
FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.id = :id"""

# The claim (``records.claim``) of a move: the version moves on only if the order is as read.
_CLAIM_MOVE = """UPDATE orders SET status = :wanted, version = version + 1, updated_at = :now
WHERE id = :id AND version = :version AND status = :status"""


def _check_move(tx: Tx, actor: Actor, move: Move, current: Any) -> None:
    """Raise unless the move is allowed (``current``: the order's ``_MOVING`` row)."""
    _, status, seen, mode, account = current
    if move.version is not None and move.version != seen:
        raise StaleOrder(load_summary(tx.session, move.order_id))
    own = actor.user_id is not None and account == actor.user_id
    problem = transition_problem(OrderStatus(status), move.wanted, mode, actor, own_order=own)
    if problem == "not_permitted":
        raise OrderForbidden(problem)
    if problem:
        raise TransitionRefused(problem, load_summary(tx.session, move.order_id))


async def transition_order(
    db: Database,
    actor: Actor,
    order_id: int,
    wanted: OrderStatus,
    *,
    version: int | None = None,
    reason: str = "",
    on_accept: tuple[AcceptStep, ...] = (),
) -> OrderSummary:
    """Move an order to ``wanted`` if the table allows it from its current status, the actor has
    the right and ``version`` (when given) is current; releases the stock on rejection and
    cancellation, turns it into a sale on dispatch; records ``order.<wanted>``. An acceptance
    runs ``on_accept`` in its transaction (e.g. invoicing's hold for payment).

    Raises ``OrderNotFound``, ``OrderForbidden``, ``StaleOrder``, ``TransitionRefused`` or
    ``OrderRejected`` (a reason is required and missing).
    """
    reason = reason.strip()
    if problem := reason_problem(wanted, reason):
        raise OrderRejected({"reason": problem})
    return await db.run(move_order, actor, Move(order_id, wanted, version, reason), None, on_accept)


def move_order(
    tx: Tx,
    actor: Actor,
    move: Move,
    details: Mapping[str, str | int] | None = None,
    on_accept: tuple[AcceptStep, ...] = (),
) -> OrderSummary:
    """The command behind ``transition_order``, and the one way other domains' commands move an
    order (fulfilment): ``details``, small and flat, join the ``order.<wanted>`` event's data;
    ``on_accept`` runs after an acceptance is recorded, in the same transaction."""
    apply_move(tx, actor, move, details, on_accept)
    return load_summary(tx.session, move.order_id)


def apply_move(
    tx: Tx,
    actor: Actor,
    move: Move,
    details: Mapping[str, str | int] | None = None,
    on_accept: tuple[AcceptStep, ...] = (),
) -> int:
    """``move_order`` without reading the order back, for a command that does not answer with it
    (a drop-off moves its orders on every confirmation): returns the order's new version. Plain
    SQL (``tx.execute``): through the ORM, the read, the claim and the summary were most of a
    drop-off's time in the writer."""
    order_id, wanted = move.order_id, move.wanted
    current = tx.execute(_MOVING, {"id": order_id}).fetchone()
    if current is None:
        raise OrderNotFound(order_id)
    _check_move(tx, actor, move, current)
    number, before, version, _, account = current
    claimed = {"wanted": wanted.value, "now": tx.moment(utcnow()), "id": order_id, "version": version}
    if tx.execute(_CLAIM_MOVE, {**claimed, "status": before}).rowcount != 1:
        now = load_summary(tx.session, order_id)
        if now.status != before:
            raise TransitionRefused("transition_not_allowed", now)
        raise StaleOrder(now)
    tx.forget(Order, order_id)  # an object of it the session holds shows the move
    _move_stock(tx, order_id, wanted, actor)
    event = moved_to(
        wanted, number=number, previous=before, reason=move.reason, account=account, details=details
    )
    record(tx, event, f"order:{order_id}", actor.user_id)
    tx.at_batch_end(("stock.settle", actor.user_id), settle_batch(actor.user_id, draft_reorder))
    if wanted == OrderStatus.ACCEPTED:
        for step in on_accept:
            step(tx, order_id)
    return int(version) + 1


def _move_stock(tx: Tx, order_id: int, wanted: OrderStatus, actor: Actor) -> None:
    if wanted in RELEASING:
        holds.release(tx, stocking.reference(order_id))
    elif wanted in DISPATCHING:
        try:
            holds.consume(tx, stocking.reference(order_id), actor.user_id)
        except StockError as exc:
            raise TransitionRefused(exc.code, load_summary(tx.session, order_id)) from None


async def accept_order(
    db: Database, actor: Actor, order_id: int, *, version: int | None = None
) -> OrderSummary:
    """placed / on hold → accepted."""
    return await transition_order(db, actor, order_id, OrderStatus.ACCEPTED, version=version)


async def release_order(
    db: Database, actor: Actor, order_id: int, *, version: int | None = None
) -> OrderSummary:
    """on hold → placed: the review is done and the order waits in the queue again."""
    return await transition_order(db, actor, order_id, OrderStatus.PLACED, version=version)


async def reject_order(
    db: Database, actor: Actor, order_id: int, reason: str, *, version: int | None = None
) -> OrderSummary:
    """placed / on hold → rejected, with a reason; the stock is released."""
    return await transition_order(db, actor, order_id, OrderStatus.REJECTED, version=version, reason=reason)


async def hold_order(
    db: Database, actor: Actor, order_id: int, reason: str, *, version: int | None = None
) -> OrderSummary:
    """placed / accepted → on hold, with a reason; the stock stays reserved."""
    return await transition_order(db, actor, order_id, OrderStatus.ON_HOLD, version=version, reason=reason)


async def cancel_order(
    db: Database, actor: Actor, order_id: int, reason: str, *, version: int | None = None
) -> OrderSummary:
    """Any status before dispatch → cancelled, with a reason; the stock is released. Customers
    may cancel their own order until the shop accepts it."""
    return await transition_order(db, actor, order_id, OrderStatus.CANCELLED, version=version, reason=reason)
