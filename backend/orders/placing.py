"""Placing an order: the one transaction every channel goes through, as synchronous SQL
(``backend.kernel.tx``).

On SQLite it runs in the writer thread (``Database.run``), where its twenty-odd statements
cost microseconds each and share a COMMIT with the other orders of the batch; on PostgreSQL in an
ordinary transaction. ``service.place_order`` validates the draft before it gets here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from backend.customers import service as customers
from backend.inventory.settling import settle_batch
from backend.kernel.events import record
from backend.kernel.numbering import number_row
from backend.kernel.tx import Tx, json_text
from backend.orders import pricing, stocking
from backend.orders.drafts import OrderDraft
from backend.orders.errors import DuplicateExternalRef
from backend.orders.events import OrderOnHold, OrderPlaced
from backend.orders.records import accounted
from backend.orders.risk import RiskFacts, RiskPolicy, risk_reasons
from backend.orders.rules import Actor, Channel, OrderStatus
from backend.orders.views import PlacedOrder
from backend.purchasing.reorder import draft_reorder

NUMBER_SERIES = "ORD"

_SAME_EXTERNAL_REF = "SELECT id, number FROM orders WHERE channel = :channel AND external_ref = :ref"
# The risk rules only ask "none before?" and "this many recently?": counting stops there.
_PREVIOUS = "SELECT count(*) FROM (SELECT 1 FROM orders WHERE customer_id = :customer_id LIMIT 1) AS o"
_RECENT = (
    "SELECT count(*) FROM (SELECT 1 FROM orders WHERE placed_at >= :since AND ({contact}) LIMIT :cap) AS o"
)
PENDING_NUMBER = "pending-"
_INSERT = (
    "INSERT INTO orders (status, channel, fulfilment_mode, priority, payment_method, location_id,"
    " customer_id, customer_name, email, phone, address_line1, address_city, address_postal_code,"
    " address_country, address_latitude, address_longitude, delivery_slot_start, delivery_slot_end,"
    " notes, net_minor, tax_minor, total_minor, currency, tracking_token_hash, external_ref,"
    " risk_reasons, version, placed_by_id, placed_at,"
    " updated_at, number) VALUES (:status, :channel, :fulfilment_mode, :priority, :payment_method,"
    " :location_id, :customer_id, :customer_name, :email, :phone, :address_line1, :address_city,"
    " :address_postal_code, :address_country, :address_latitude, :address_longitude,"
    " :delivery_slot_start, :delivery_slot_end, :notes,"
    " :net_minor, :tax_minor, :total_minor, :currency, :tracking_token_hash, :external_ref,"
    " :risk_reasons, :version, :placed_by_id, :placed_at, :updated_at, :number) RETURNING id"
)


def hash_tracking_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_external_ref(tx: Tx, draft: OrderDraft) -> None:
    """Raise ``DuplicateExternalRef`` when this channel already has an order with that reference."""
    if draft.external_ref is None:
        return
    rows = tx.execute(_SAME_EXTERNAL_REF, {"channel": str(draft.channel), "ref": draft.external_ref})
    if found := rows.fetchall():
        raise DuplicateExternalRef(found[0][0], found[0][1])


def _risk(
    tx: Tx, draft: OrderDraft, customer: customers.Matched, total: int, policy: RiskPolicy
) -> list[str]:
    """Run before the order is written, so that it does not count itself."""
    if draft.channel == Channel.STAFF:  # a person typed it in: they already looked at it
        return []
    previous = 0
    if not customer.created:
        previous = tx.execute(_PREVIOUS, {"customer_id": customer.id}).fetchall()[0][0]
    contact = {
        name: value
        for name, value in (("email", draft.customer.email), ("phone", draft.customer.phone))
        if value
    }
    recent = 0
    if contact:
        since = tx.moment(datetime.now(UTC) - timedelta(minutes=policy.window_minutes))
        sql = _RECENT.format(contact=" OR ".join(f"{name} = :{name}" for name in contact))
        recent = tx.execute(sql, {**contact, "since": since, "cap": policy.recent_orders_limit}).fetchall()[
            0
        ][0]
    country = draft.address.country if draft.address else None
    facts = RiskFacts(total, int(previous), int(recent), draft.customer.phone, country)
    return risk_reasons(facts, policy)


def _destination(draft: OrderDraft) -> tuple[float, float] | None:
    address = draft.address
    if address is None or address.latitude is None or address.longitude is None:
        return None
    return (address.latitude, address.longitude)


def _row(draft: OrderDraft, user_id: int | None, tx: Tx) -> dict[str, object]:
    """The order's columns that come from the draft alone."""
    address = draft.address
    return {
        "channel": str(draft.channel),
        "fulfilment_mode": str(draft.fulfilment_mode),
        "priority": str(draft.priority),
        "payment_method": str(draft.payment_method),
        "customer_name": draft.customer.name,
        "email": draft.customer.email,
        "phone": draft.customer.phone,
        "address_line1": address.line1 if address else None,
        "address_city": address.city if address else None,
        "address_postal_code": address.postal_code if address else None,
        "address_country": address.country if address else None,
        "address_latitude": address.latitude if address else None,
        "address_longitude": address.longitude if address else None,
        "delivery_slot_start": tx.moment(draft.slot.start) if draft.slot else None,
        "delivery_slot_end": tx.moment(draft.slot.end) if draft.slot else None,
        "notes": draft.notes,
        "external_ref": draft.external_ref,
        "version": 1,
        "placed_by_id": user_id,
        "placed_at": tx.now(),
        "updated_at": tx.now(),
    }


@dataclass(frozen=True)
class Placement:
    """An order to place: ``draft`` is normalised and valid; ``token`` is its tracking token.
    Plain data for the trip to the writer: of the actor, only who it is (its permissions were
    checked before, in ``service``)."""

    user_id: int | None
    customer_user_id: int | None  # a signed-in shopper's own account
    draft: OrderDraft
    policy: RiskPolicy
    token: str

    @classmethod
    def of(cls, actor: Actor, draft: OrderDraft, policy: RiskPolicy, token: str) -> Placement:
        return cls(actor.user_id, actor.customer_user_id, draft, policy, token)


def place(tx: Tx, placement: Placement) -> PlacedOrder:
    """Price from the catalog, choose the location, match or create the customer, apply the risk
    rules, write the order, reserve every line (or raise, having written nothing) and record
    ``order.placed``."""
    draft, policy, token = placement.draft, placement.policy, placement.token
    check_external_ref(tx, draft)
    products = stocking.products_for(tx, draft.lines)
    priced = stocking.price(draft.lines, products)
    backorderable = frozenset(p.id for p in products.values() if p.allow_backorder)
    location = stocking.choose_location(
        tx,
        str(draft.fulfilment_mode),
        draft.location,
        priced=priced,
        destination=_destination(draft),
        backorderable=backorderable,
    )
    customer = customers.match_or_create(tx, draft.customer, placement.customer_user_id)
    totals = pricing.totals(priced)
    reasons = _risk(tx, draft, customer, totals.total_minor, policy)
    currency = next(iter(products.values())).currency
    status = OrderStatus.ON_HOLD if reasons else OrderStatus.PLACED
    values = {
        **_row(draft, placement.user_id, tx),
        "status": status.value,
        "location_id": location.id,
        "customer_id": customer.id,
        "net_minor": totals.net_minor,
        "tax_minor": totals.tax_minor,
        "total_minor": totals.total_minor,
        "currency": currency,
        "tracking_token_hash": hash_tracking_token(token),
        "risk_reasons": json_text(reasons),
        "number": PENDING_NUMBER + token[:24],  # unique until the real one, taken last
    }
    order_id = int(tx.execute(_INSERT, values).fetchall()[0][0])
    backordered = stocking.hold(tx, order_id, priced, location, products)
    stocking.write_lines(tx, order_id, priced, backordered)
    if draft.address is not None:
        customers.remember_address(tx, customer, draft.address)
    tx.at_batch_end(("stock.settle", placement.user_id), settle_batch(placement.user_id, draft_reorder))
    # The series' counter row stays locked from its bump to COMMIT (PostgreSQL), WAL flush
    # included: every placement waits for the previous one's statements from here on. So the
    # number comes last, after the settlement (``batch_end_here``); only the event and the key's
    # record follow it.
    tx.batch_end_here()
    number = number_row(tx, "orders", order_id, NUMBER_SERIES, width=6)
    # A signed-in customer's order goes to the record of their account (``match_or_create``).
    account = accounted(placement.customer_user_id)
    placed = OrderPlaced(
        number=number,
        channel=values["channel"],
        total_minor=totals.total_minor,
        currency=currency,
        location=location.code,
        **account,
    )
    _record(tx, placement.user_id, order_id, placed, reasons)
    return PlacedOrder(order_id, number, status.value, totals.total_minor, currency, 1, token, tuple(reasons))


def _record(tx: Tx, user_id: int | None, order_id: int, placed: OrderPlaced, reasons: list[str]) -> None:
    subject = f"order:{order_id}"
    record(tx, placed, subject, user_id)
    if reasons:
        held = OrderOnHold(number=placed.number, reasons=tuple(reasons), account=placed.account)
        record(tx, held, subject, None)
