"""Finding customers: an order from an e-mail or phone already known goes to that customer."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.customers.models import Customer, CustomerAddress
from backend.db import utcnow
from backend.orders.rules import Address, CustomerDetails


async def _serialise(session: AsyncSession, details: CustomerDetails) -> None:
    """On PostgreSQL, two first orders from one new customer would each create them: the second
    waits here for the first to commit. SQLite has one writer at a time anyway."""
    if session.bind.dialect.name != "postgresql":
        return
    for contact in sorted(filter(None, (details.email, details.phone))):
        key = int.from_bytes(hashlib.sha256(contact.encode()).digest()[:8], "big", signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


async def find_customer(session: AsyncSession, details: CustomerDetails) -> Customer | None:
    """The customer with this e-mail, else with this phone number (oldest first)."""
    for column, value in ((Customer.email, details.email), (Customer.phone, details.phone)):
        if value:
            found = await session.scalar(
                select(Customer).where(column == value).order_by(Customer.id).limit(1)
            )
            if found is not None:
                return found
    return None


async def match_or_create(
    session: AsyncSession, details: CustomerDetails, user_id: int | None = None
) -> Customer:
    """The known customer (filling in a contact detail they did not have), or a new one.
    ``details`` must be normalised (``orders.rules.normalise_customer``)."""
    await _serialise(session, details)
    customer = await find_customer(session, details)
    if customer is None:
        customer = Customer(name=details.name, email=details.email, phone=details.phone, user_id=user_id)
        session.add(customer)
        await session.flush()
        return customer
    if details.email and not customer.email:
        customer.email = details.email
    if details.phone and not customer.phone:
        customer.phone = details.phone
    if user_id and not customer.user_id:
        customer.user_id = user_id
    return customer


async def remember_address(session: AsyncSession, customer_id: int, address: Address) -> None:
    """Keep the address on the customer's list, once, freshest first."""
    found = await session.scalar(
        select(CustomerAddress).where(
            CustomerAddress.customer_id == customer_id,
            func.lower(CustomerAddress.line1) == address.line1.lower(),
            CustomerAddress.postal_code == address.postal_code,
            CustomerAddress.country == address.country,
        )
    )
    if found is not None:
        found.last_used_at = utcnow()
        return
    session.add(
        CustomerAddress(
            customer_id=customer_id,
            line1=address.line1,
            city=address.city,
            postal_code=address.postal_code,
            country=address.country,
            latitude=address.latitude,
            longitude=address.longitude,
        )
    )
