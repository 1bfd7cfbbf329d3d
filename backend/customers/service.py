"""Finding customers: an order from an e-mail or phone already known goes to that customer.

A customer record linked to an account gets that account's own orders only: nothing proves that
whoever types an e-mail or a phone at a checkout owns it, so an order never links an account to a
record, nor joins an account's record, by contact alone. Shoppers who are not signed in keep
records of their own, matched among the unlinked ones.

Synchronous SQL (``backend.kernel.tx``), run inside the transaction that places the order."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from backend.customers.details import Address, CustomerDetails
from backend.kernel.tx import Tx

# The oldest unlinked customer with this e-mail, else the oldest with this phone number: one
# statement, each half served by its column's index.
_FIND = (
    "SELECT id, email, phone FROM ("
    " SELECT * FROM (SELECT id, email, phone, 0 AS rank FROM customers WHERE email = :email"
    " AND user_id IS NULL ORDER BY id LIMIT 1) AS by_email UNION ALL"
    " SELECT * FROM (SELECT id, email, phone, 1 AS rank FROM customers WHERE phone = :phone"
    " AND user_id IS NULL ORDER BY id LIMIT 1) AS by_phone) AS found ORDER BY rank LIMIT 1"
)
_OWN = "SELECT id, email, phone FROM customers WHERE user_id = :user_id ORDER BY id LIMIT 1"
_CREATE = (
    "INSERT INTO customers (name, email, phone, user_id, created_at, version)"
    " VALUES (:name, :email, :phone, :user_id, :now, 1) RETURNING id"
)
_FILL_IN = (
    "UPDATE customers SET email = COALESCE(email, :email), phone = COALESCE(phone, :phone),"
    " version = version + 1 WHERE id = :id"
)
_KNOWN_ADDRESS = (
    "SELECT id FROM customer_addresses WHERE customer_id = :customer_id AND lower(line1) = :line1"
    " AND postal_code = :postal_code AND country = :country LIMIT 1"
)
_USED_AGAIN = "UPDATE customer_addresses SET last_used_at = :now WHERE id = :id"
_NEW_ADDRESS = (
    "INSERT INTO customer_addresses (customer_id, line1, city, postal_code, country, latitude,"
    " longitude, last_used_at) VALUES (:customer_id, :line1, :city, :postal_code, :country, :latitude,"
    " :longitude, :now)"
)

# Taken in the order given (sorted holders), as every transaction takes them: no deadlock.
_LOCK = (
    "SELECT pg_advisory_xact_lock(k)"
    " FROM unnest(CAST(:keys AS bigint[])) WITH ORDINALITY AS l(k, n) ORDER BY n"
)


def _serialise(tx: Tx, details: CustomerDetails, user_id: int | None) -> None:
    """On PostgreSQL, two first orders from one new customer would each create them: the second
    waits here for the first to commit. SQLite has one writer at a time anyway."""
    if tx.dialect != "postgresql":
        return
    holders = [f"account:{user_id}"] if user_id else sorted(filter(None, (details.email, details.phone)))
    keys = [
        int.from_bytes(hashlib.sha256(holder.encode()).digest()[:8], "big", signed=True) for holder in holders
    ]
    if keys:  # one round trip for both: each is a few hundred microseconds of the order's time
        tx.execute(_LOCK, {"keys": keys}).fetchall()


@dataclass(frozen=True)
class Matched:
    id: int
    created: bool  # a new customer: they have no orders yet


def match_or_create(tx: Tx, details: CustomerDetails, user_id: int | None = None) -> Matched:
    """The customer the order goes to, filling in a contact detail they did not have, or a new one:
    for a signed-in customer (``user_id``) the record linked to their account, else an unlinked
    record with this e-mail or phone. ``details`` must be normalised
    (``orders.rules.normalise_customer``)."""
    _serialise(tx, details, user_id)
    if user_id:
        found = tx.execute(_OWN, {"user_id": user_id}).fetchall()
    else:
        found = tx.execute(_FIND, {"email": details.email, "phone": details.phone}).fetchall()
    if not found:
        values = {"name": details.name, "email": details.email, "phone": details.phone}
        created = tx.execute(_CREATE, {**values, "user_id": user_id, "now": tx.now()}).fetchall()
        return Matched(int(created[0][0]), created=True)
    customer_id, email, phone = found[0]
    if (details.email and not email) or (details.phone and not phone):
        values = {"email": details.email, "phone": details.phone}
        tx.execute(_FILL_IN, {**values, "id": customer_id})
    return Matched(int(customer_id), created=False)


def remember_address(tx: Tx, customer: Matched, address: Address) -> None:
    """Keep the address on the customer's list, once, freshest first."""
    key = {"customer_id": customer.id, "postal_code": address.postal_code, "country": address.country}
    if not customer.created:  # a customer this very order created has no addresses yet
        known = tx.execute(_KNOWN_ADDRESS, {**key, "line1": address.line1.lower()}).fetchall()
        if known:
            tx.execute(_USED_AGAIN, {"id": known[0][0], "now": tx.now()})
            return
    values = {"line1": address.line1, "city": address.city, "latitude": address.latitude}
    tx.execute(_NEW_ADDRESS, {**key, **values, "longitude": address.longitude, "now": tx.now()})
