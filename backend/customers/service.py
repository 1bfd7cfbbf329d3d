"""Finding customers: an order from an e-mail or phone already known goes to that customer.

Synchronous SQL (``backend.tx``), run inside the transaction that places the order."""

from __future__ import annotations

import hashlib

from backend.orders.rules import Address, CustomerDetails
from backend.tx import Tx

_BY_EMAIL = "SELECT id, email, phone, user_id FROM customers WHERE email = :value ORDER BY id LIMIT 1"
_BY_PHONE = "SELECT id, email, phone, user_id FROM customers WHERE phone = :value ORDER BY id LIMIT 1"
_CREATE = (
    "INSERT INTO customers (name, email, phone, user_id, created_at, version)"
    " VALUES (:name, :email, :phone, :user_id, :now, 1) RETURNING id"
)
_FILL_IN = (
    "UPDATE customers SET email = COALESCE(email, :email), phone = COALESCE(phone, :phone),"
    " user_id = COALESCE(user_id, :user_id), version = version + 1 WHERE id = :id"
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


def _serialise(tx: Tx, details: CustomerDetails) -> None:
    """On PostgreSQL, two first orders from one new customer would each create them: the second
    waits here for the first to commit. SQLite has one writer at a time anyway."""
    if tx.dialect != "postgresql":
        return
    for contact in sorted(filter(None, (details.email, details.phone))):
        key = int.from_bytes(hashlib.sha256(contact.encode()).digest()[:8], "big", signed=True)
        tx.execute("SELECT pg_advisory_xact_lock(:k)", {"k": key})


def _find(tx: Tx, details: CustomerDetails) -> tuple[int, str | None, str | None, int | None] | None:
    """The customer with this e-mail, else with this phone number (oldest first)."""
    for sql, value in ((_BY_EMAIL, details.email), (_BY_PHONE, details.phone)):
        if value:
            rows = tx.execute(sql, {"value": value}).fetchall()
            if rows:
                return rows[0][0], rows[0][1], rows[0][2], rows[0][3]
    return None


def match_or_create(tx: Tx, details: CustomerDetails, user_id: int | None = None) -> int:
    """The id of the known customer (filling in a contact detail they did not have), or of a new
    one. ``details`` must be normalised (``orders.rules.normalise_customer``)."""
    _serialise(tx, details)
    found = _find(tx, details)
    if found is None:
        values = {"name": details.name, "email": details.email, "phone": details.phone}
        return int(tx.execute(_CREATE, {**values, "user_id": user_id, "now": tx.now()}).fetchall()[0][0])
    customer_id, email, phone, linked = found
    missing = (details.email and not email) or (details.phone and not phone) or (user_id and not linked)
    if missing:
        values = {"email": details.email, "phone": details.phone, "user_id": user_id}
        tx.execute(_FILL_IN, {**values, "id": customer_id})
    return customer_id


def remember_address(tx: Tx, customer_id: int, address: Address) -> None:
    """Keep the address on the customer's list, once, freshest first."""
    key = {"customer_id": customer_id, "postal_code": address.postal_code, "country": address.country}
    rows = tx.execute(_KNOWN_ADDRESS, {**key, "line1": address.line1.lower()}).fetchall()
    if rows:
        tx.execute(_USED_AGAIN, {"id": rows[0][0], "now": tx.now()})
        return
    values = {"line1": address.line1, "city": address.city, "latitude": address.latitude}
    tx.execute(_NEW_ADDRESS, {**key, **values, "longitude": address.longitude, "now": tx.now()})
