"""Order operations, each ONE write transaction: placing an order (every channel comes through
``place_order``), moving it through its lifecycle, editing it before picking starts.

The public functions take the ``Database`` and an ``Actor`` and return frozen views; they raise
the exceptions of ``orders.errors`` (and ``OrderRejected`` for bad input), each time having
written nothing. Stock goes through the inventory service's public functions only.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.rules import Permission
from backend.customers import service as customers
from backend.db import Database, utcnow
from backend.events import record
from backend.inventory import service as stock
from backend.inventory.models import Location
from backend.numbering import next_number
from backend.orders import pricing, stocking
from backend.orders.editing import OrderEdit, change_location, edit_order
from backend.orders.errors import (
    DuplicateExternalRef,
    OrderForbidden,
    OrderNotFound,
    StaleOrder,
    TransitionRefused,
)
from backend.orders.models import Order
from backend.orders.records import claim, is_own_order, load_summary
from backend.orders.risk import DEFAULT_POLICY, RiskFacts, RiskPolicy, risk_reasons
from backend.orders.rules import (
    DISPATCHING,
    RELEASING,
    Actor,
    Channel,
    OrderDraft,
    OrderRejected,
    OrderStatus,
    draft_problems,
    normalise_address,
    normalise_customer,
    reason_problem,
    transition_problem,
)
from backend.orders.views import OrderSummary, PlacedOrder

__all__ = [
    "OrderEdit",
    "accept_order",
    "cancel_order",
    "change_location",
    "edit_order",
    "hold_order",
    "place_order",
    "reject_order",
    "release_order",
    "transition_order",
]

NUMBER_SERIES = "ORD"


def hash_tracking_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    )


async def _check_external_ref(session: AsyncSession, draft: OrderDraft) -> None:
    if draft.external_ref is None:
        return
    found = await session.execute(
        select(Order.id, Order.number).where(
            Order.channel == str(draft.channel), Order.external_ref == draft.external_ref
        )
    )
    if row := found.first():
        raise DuplicateExternalRef(row.id, row.number)


async def _risk(
    session: AsyncSession, draft: OrderDraft, customer_id: int, total: int, policy: RiskPolicy
) -> list[str]:
    """Run before the order is written, so that it does not count itself."""
    if draft.channel == Channel.STAFF:  # a person typed it in: they already looked at it
        return []
    previous = await session.scalar(select(func.count()).where(Order.customer_id == customer_id))
    contact = [
        column == value
        for column, value in ((Order.email, draft.customer.email), (Order.phone, draft.customer.phone))
        if value
    ]
    since = utcnow() - timedelta(minutes=policy.window_minutes)
    recent = await session.scalar(select(func.count()).where(Order.placed_at >= since, or_(*contact)))
    country = draft.address.country if draft.address else None
    facts = RiskFacts(total, int(previous or 0), int(recent or 0), draft.customer.phone, country)
    return risk_reasons(facts, policy)


def _new_order(draft: OrderDraft, actor: Actor, customer_id: int, location: Location, currency: str) -> Order:
    address = draft.address
    return Order(
        status=OrderStatus.PLACED.value,
        channel=str(draft.channel),
        fulfilment_mode=str(draft.fulfilment_mode),
        priority=str(draft.priority),
        payment_method=str(draft.payment_method),
        location_id=location.id,
        customer_id=customer_id,
        customer_name=draft.customer.name,
        email=draft.customer.email,
        phone=draft.customer.phone,
        address_line1=address.line1 if address else None,
        address_city=address.city if address else None,
        address_postal_code=address.postal_code if address else None,
        address_country=address.country if address else None,
        address_latitude=address.latitude if address else None,
        address_longitude=address.longitude if address else None,
        notes=draft.notes,
        net_minor=0,
        tax_minor=0,
        total_minor=0,
        currency=currency,
        external_ref=draft.external_ref,
        placed_by_id=actor.user_id,
    )


def _check_may_place(actor: Actor, draft: OrderDraft) -> None:
    if draft.channel != Channel.STOREFRONT and not actor.can(Permission.ORDERS_PLACE):
        raise OrderForbidden("orders.place")


async def place_order(
    db: Database, actor: Actor, draft: OrderDraft, *, policy: RiskPolicy = DEFAULT_POLICY
) -> PlacedOrder:
    """Validate, price from the catalog, choose the location, reserve every line (or none), match
    or create the customer, apply the risk rules and record ``order.placed`` — in one transaction.

    Raises ``OrderRejected`` (bad input, field → code), ``OutOfStock`` (names the short lines),
    ``DuplicateExternalRef`` or ``OrderForbidden`` (channels other than the storefront need
    ``orders.place``). Anonymous storefront shoppers pass ``Actor(None)``.
    """
    draft = _normalised(draft)
    if problems := draft_problems(draft):
        raise OrderRejected(problems)
    _check_may_place(actor, draft)
    token = secrets.token_urlsafe(24)
    try:
        async with db.write() as session:
            order = await _place(session, actor, draft, policy, token)
    except IntegrityError:  # a concurrent twin with the same external reference won the race
        async with db.write() as session:
            await _check_external_ref(session, draft)
        raise
    return PlacedOrder(
        order.id,
        order.number,
        order.status,
        order.total_minor,
        order.currency,
        order.version,
        token,
        tuple(order.risk_reasons),
    )


async def _place(
    session: AsyncSession, actor: Actor, draft: OrderDraft, policy: RiskPolicy, token: str
) -> Order:
    await _check_external_ref(session, draft)
    products = await stocking.products_for(session, draft.lines)
    priced = stocking.price(draft.lines, products)
    backorderable = frozenset(p.id for p in products.values() if p.allow_backorder)
    address = draft.address
    destination = (
        (address.latitude, address.longitude)
        if address and address.latitude is not None and address.longitude is not None
        else None
    )
    location = await stocking.choose_location(
        session,
        str(draft.fulfilment_mode),
        draft.location,
        priced=priced,
        destination=destination,
        backorderable=backorderable,
    )
    customer = await customers.match_or_create(session, draft.customer, actor.customer_user_id)
    total = pricing.totals(priced).total_minor
    reasons = await _risk(session, draft, customer.id, total, policy)
    currency = next(iter(products.values())).currency
    order = _new_order(draft, actor, customer.id, location, currency)
    order.number = await next_number(session, NUMBER_SERIES, width=6)
    order.tracking_token_hash = hash_tracking_token(token)
    session.add(order)
    await session.flush()
    backordered = await stocking.hold(session, order.id, priced, location)
    await stocking.write_lines(session, order, priced, backordered)
    order.risk_reasons = reasons
    if address is not None:
        await customers.remember_address(session, customer.id, address)
    await record(
        session,
        "order.placed",
        f"order:{order.id}",
        actor.user_id,
        number=order.number,
        channel=order.channel,
        total_minor=order.total_minor,
        currency=currency,
        location=location.code,
    )
    if order.risk_reasons:
        order.status = OrderStatus.ON_HOLD.value
        await record(
            session,
            "order.on_hold",
            f"order:{order.id}",
            None,
            number=order.number,
            reasons=order.risk_reasons,
        )
    await stock.settle(session, actor.user_id)
    return order


# -- the lifecycle --------------------------------------------------------------------------------


async def _check_move(
    session: AsyncSession, actor: Actor, order: Order, wanted: OrderStatus, version: int | None
) -> None:
    if version is not None and version != order.version:
        raise StaleOrder(await load_summary(session, order.id))
    own = await is_own_order(session, actor, order)
    current = OrderStatus(order.status)
    problem = transition_problem(current, wanted, order.fulfilment_mode, actor, own_order=own)  # type: ignore[arg-type]
    if problem == "not_permitted":
        raise OrderForbidden(problem)
    if problem:
        raise TransitionRefused(problem, await load_summary(session, order.id))


async def transition_order(
    db: Database,
    actor: Actor,
    order_id: int,
    wanted: OrderStatus,
    *,
    version: int | None = None,
    reason: str = "",
) -> OrderSummary:
    """Move an order to ``wanted`` if the table allows it from its current status, the actor has
    the right and ``version`` (when given) is current; releases the stock on rejection and
    cancellation, turns it into a sale on dispatch; records ``order.<wanted>``.

    Raises ``OrderNotFound``, ``OrderForbidden``, ``StaleOrder``, ``TransitionRefused`` or
    ``OrderRejected`` (a reason is required and missing).
    """
    reason = reason.strip()
    if problem := reason_problem(wanted, reason):
        raise OrderRejected({"reason": problem})
    async with db.write() as session:
        order = await session.get(Order, order_id)
        if order is None:
            raise OrderNotFound(order_id)
        await _check_move(session, actor, order, wanted, version)
        before = order.status
        await claim(session, order, wanted.value)
        await _move_stock(session, order, wanted, actor)
        await record(
            session,
            f"order.{wanted.value}",
            f"order:{order.id}",
            actor.user_id,
            number=order.number,
            previous=before,
            reason=reason,
        )
        await stock.settle(session, actor.user_id)
        return await load_summary(session, order.id)


async def _move_stock(session: AsyncSession, order: Order, wanted: OrderStatus, actor: Actor) -> None:
    if wanted in RELEASING:
        await stock.release(session, stocking.reference(order.id))
    elif wanted in DISPATCHING:
        try:
            await stock.consume(session, stocking.reference(order.id), actor.user_id)
        except stock.StockError as exc:
            raise TransitionRefused(exc.code, await load_summary(session, order.id)) from None


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
