"""Customer pages: find a customer, see their orders, addresses and lifetime value."""

from __future__ import annotations

import re

from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.orders.drafts import Address, CustomerDetails, OrderDraft, WantedLine
from backend.orders.rules import Actor, Channel
from backend.orders.service import cancel_order, place_order
from tests.api.conftest import Harness
from tests.api.stock_fixtures import add_location, add_product
from tests.api.stock_helpers import receive_stock

HOME = Address("3 rue des Lilas", "Paris", "75011", "FR")


def _draft(name: str, email: str, quantity: int, phone: str | None = None) -> OrderDraft:
    return OrderDraft(
        customer=CustomerDetails(name, email, phone),
        lines=[WantedLine("TEA", quantity)],
        fulfilment_mode="delivery",
        payment_method="cash_on_delivery",
        channel=Channel.STOREFRONT,
        address=HOME,
    )


async def _orders(harness: Harness) -> dict[str, int]:
    location = await add_location(harness.db, "main", default=True)
    tea = await add_product(harness.db, "TEA")
    await receive_stock(harness.db, tea, location, 100)
    kept = await place_order(
        harness.db, Actor(None), _draft("Ada Lovelace", "ada@example.test", 2, "+33612345678")
    )
    again = await place_order(harness.db, Actor(None), _draft("Ada Lovelace", "ada@example.test", 4))
    await place_order(harness.db, Actor(None), _draft("Bob Martin", "bob@example.test", 1))
    owner = harness.users[Role.OWNER]
    await cancel_order(
        harness.db, Actor(owner.id, ROLE_PERMISSIONS[Role.OWNER]), again.id, "changed their mind"
    )
    return {"kept": kept.id, "cancelled": again.id}


async def test_the_customer_page_shows_orders_addresses_and_lifetime_value(harness: Harness) -> None:
    orders = await _orders(harness)
    async with harness.signed_in(Role.STAFF) as client:
        listing = await client.get("/customers")
        ada_id = int(re.findall(r'id="customer-(\d+)"', listing.text)[0])
        ada = await client.get(f"/customers/{ada_id}")
    assert "Ada Lovelace" in listing.text
    assert "Bob Martin" in listing.text
    assert ada.status_code == 200
    assert "2 orders" in ada.text
    assert "lifetime value €5.00" in ada.text  # the cancelled order (€10.00) is not a sale
    assert f'href="/orders/{orders["kept"]}"' in ada.text
    assert f'href="/orders/{orders["cancelled"]}"' in ada.text
    assert "3 rue des Lilas, 75011 Paris, FR" in ada.text
    assert "+33612345678" in ada.text


async def test_customers_are_found_by_name_email_or_phone(harness: Harness) -> None:
    await _orders(harness)
    async with harness.signed_in(Role.STAFF) as client:
        for query, found, missing in (
            ("lovelace", "Ada Lovelace", "Bob Martin"),
            ("BOB@", "Bob Martin", "Ada Lovelace"),
            ("06 12 34", "Ada Lovelace", "Bob Martin"),
        ):
            answer = await client.get("/customers", params={"q": query}, headers={"hx-request": "true"})
            assert found in answer.text, query
            assert missing not in answer.text, query
            assert "<html" not in answer.text


async def test_only_people_who_may_see_customers_get_the_pages(harness: Harness) -> None:
    await _orders(harness)
    for role in (Role.DRIVER, Role.CUSTOMER):
        async with harness.signed_in(role) as client:
            assert (await client.get("/customers")).status_code == 403
            assert (await client.get("/customers/1")).status_code == 403
    async with harness.signed_in(Role.OWNER) as client:
        assert (await client.get("/customers/99999")).status_code == 404
