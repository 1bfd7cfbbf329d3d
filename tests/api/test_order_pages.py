"""The order page shows the order, its lines and its whole timeline to the team only."""

from __future__ import annotations

from backend.auth.rules import Role
from backend.orders import service
from backend.orders.drafts import WantedLine
from tests.api.conftest import Harness
from tests.api.order_fixtures import actor_for, build_shop, draft


async def test_the_order_page_shows_lines_totals_and_the_whole_timeline(harness: Harness) -> None:
    await build_shop(harness.db)
    staff = actor_for(Role.STAFF, harness.users[Role.STAFF].id)
    placed = await service.place_order(harness.db, staff, draft())
    await service.edit_order(harness.db, staff, placed.id, service.OrderEdit(lines=[WantedLine("APPLE", 3)]))
    await service.accept_order(harness.db, staff, placed.id)
    async with harness.signed_in(Role.OWNER) as client:
        response = await client.get(f"/orders/{placed.id}")
        missing = await client.get("/orders/999999")
    assert response.status_code == 200
    text = response.text
    assert placed.number in text
    assert "3 × Apple" in text
    assert f"New order {placed.number} (api)" in text
    assert "APPLE: 2 → 3" in text
    assert f"Sami Staff accepted order {placed.number}" in text
    assert text.index("New order") < text.index("changed order") < text.index("accepted order")
    assert missing.status_code == 404


async def test_customers_and_drivers_do_not_see_the_order_page(harness: Harness) -> None:
    await build_shop(harness.db)
    placed = await service.place_order(
        harness.db, actor_for(Role.OWNER, harness.users[Role.OWNER].id), draft()
    )
    for role in (Role.CUSTOMER, Role.DRIVER):
        async with harness.signed_in(role) as client:
            assert (await client.get(f"/orders/{placed.id}")).status_code == 403
