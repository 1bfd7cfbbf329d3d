"""The stock API: adjustments answer the new level, bad input a problem, and a refusal writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.inventory.commands import reserve_stock
from backend.inventory.models import StockMovement
from backend.inventory.rules import Line
from backend.kernel.events import Event
from backend.purchasing.reorder import draft_reorder
from tests.api.conftest import Harness
from tests.api.stock_fixtures import add_location, add_product, level
from tests.api.stock_helpers import ledger_mismatches, receive_stock

PROBLEM = "application/problem+json"


async def _bearer(harness: Harness, role: Role = Role.STAFF) -> dict[str, str]:
    return {"Authorization": f"Bearer {await harness.token(role)}"}


async def _written(harness: Harness) -> tuple[int, int]:
    """(events, movements): both stay put when a request is refused."""
    async with harness.db.read() as session:
        events = await session.scalar(select(func.count()).select_from(Event))
        movements = await session.scalar(select(func.count()).select_from(StockMovement))
    return events, movements


@pytest.fixture
async def shelf(harness: Harness) -> dict[str, int]:
    """A default warehouse holding 5 apples, and a shop with none."""
    warehouse = await add_location(harness.db, "WH", default=True)
    shop = await add_location(harness.db, "SHOP")
    apple = await add_product(harness.db, "APPLE")
    await receive_stock(harness.db, apple, warehouse, 5)
    return {"warehouse": warehouse, "shop": shop, "apple": apple}


async def test_an_adjustment_at_the_default_location_answers_201_with_the_new_level(
    harness: Harness, shelf: dict[str, int]
) -> None:
    headers = await _bearer(harness)
    async with harness.client() as client:
        response = await client.post(
            "/api/v1/stock/adjustments",
            json={"sku": "apple", "delta": -2, "reason": "dropped"},
            headers=headers,
        )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "sku": "APPLE",
        "location": "WH",
        "on_hand": 3,
        "reserved": 0,
        "available": 3,
        "backordered": 0,
    }
    async with harness.db.read() as session:
        movement = await session.scalar(select(StockMovement).order_by(StockMovement.id.desc()).limit(1))
        types = list(await session.scalars(select(Event.type).order_by(Event.id.desc()).limit(2)))
    assert (movement.kind, movement.quantity, movement.reason) == ("adjustment", -2, "dropped")
    assert movement.actor_id == harness.users[Role.STAFF].id
    assert sorted(types) == ["stock.adjusted", "stock.changed"]
    assert await ledger_mismatches(harness.db) == []


async def test_an_adjustment_at_a_named_location_creates_its_level(
    harness: Harness, shelf: dict[str, int]
) -> None:
    headers = await _bearer(harness, Role.OWNER)
    async with harness.client() as client:
        response = await client.post(
            "/api/v1/stock/adjustments",
            json={"sku": "APPLE", "location": "SHOP", "delta": 7, "reason": "found in the back"},
            headers=headers,
        )
    assert response.status_code == 201
    assert response.json()["location"] == "SHOP"
    assert (await level(harness.db, shelf["apple"], shelf["shop"])).on_hand == 7


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"sku": "PEAR", "delta": 1, "reason": "found"}, "PEAR"),
        ({"sku": "APPLE", "location": "NOWHERE", "delta": 1, "reason": "found"}, "NOWHERE"),
    ],
    ids=["sku", "location"],
)
async def test_an_unknown_sku_or_location_is_a_404_that_names_it(
    harness: Harness, shelf: dict[str, int], body: dict[str, object], named: str
) -> None:
    headers = await _bearer(harness)
    before = await _written(harness)
    async with harness.client() as client:
        response = await client.post("/api/v1/stock/adjustments", json=body, headers=headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    assert named in response.json()["detail"]
    assert await _written(harness) == before


async def test_without_any_location_the_default_is_a_404_too(harness: Harness) -> None:
    await add_product(harness.db, "APPLE")
    headers = await _bearer(harness)
    async with harness.client() as client:
        response = await client.post(
            "/api/v1/stock/adjustments", json={"sku": "APPLE", "delta": 1, "reason": "found"}, headers=headers
        )
    assert response.status_code == 404
    assert "location" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"sku": "APPLE", "delta": 0, "reason": "nothing"}, 422),
        ({"sku": "APPLE", "delta": 1_000_001, "reason": "typo"}, 422),
        ({"sku": "APPLE", "delta": -1_000_001, "reason": "typo"}, 422),
        ({"sku": "APPLE", "delta": 1, "reason": "   "}, 422),
        ({"sku": "APPLE", "delta": 1.5, "reason": "half"}, 400),
        ({"sku": "APPLE", "delta": 1.0, "reason": "float"}, 400),
        ({"sku": "APPLE", "delta": "3", "reason": "text"}, 400),
        ({"sku": "APPLE", "delta": True, "reason": "bool"}, 400),
        ({"sku": "APPLE", "delta": None, "reason": "null"}, 400),
        ({"sku": "APPLE", "delta": 1}, 400),
        ({"sku": "APPLE", "reason": "no delta"}, 400),
        ({"sku": "", "delta": 1, "reason": "empty sku"}, 400),
        ({"sku": "APPLE", "delta": 1, "reason": "r" * 201}, 400),
        ({"sku": "APPLE", "delta": 1, "reason": "extra", "price": 3}, 400),
        ([{"sku": "APPLE", "delta": 1, "reason": "a list"}], 400),
    ],
)
async def test_bad_input_is_a_problem_and_writes_nothing(
    harness: Harness, shelf: dict[str, int], body: object, status: int
) -> None:
    headers = await _bearer(harness)
    before = await _written(harness)
    async with harness.client() as client:
        response = await client.post("/api/v1/stock/adjustments", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == status
    assert await _written(harness) == before
    assert (await level(harness.db, shelf["apple"], shelf["warehouse"])).on_hand == 5


async def test_a_body_that_is_not_json_is_a_400(harness: Harness, shelf: dict[str, int]) -> None:
    headers = {**await _bearer(harness), "content-type": "application/json"}
    async with harness.client() as client:
        response = await client.post("/api/v1/stock/adjustments", content=b"{delta: -", headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_taking_more_than_is_free_is_a_409_with_the_current_figures_and_writes_nothing(
    harness: Harness, shelf: dict[str, int]
) -> None:
    await reserve_stock(
        harness.db, "order:1", [Line(shelf["apple"], 3)], shelf["warehouse"], on_low=draft_reorder
    )
    headers = await _bearer(harness)
    before = await _written(harness)
    async with harness.client() as client:
        below_reserved = await client.post(
            "/api/v1/stock/adjustments",
            json={"sku": "APPLE", "delta": -3, "reason": "broken"},
            headers=headers,
        )
        below_zero = await client.post(
            "/api/v1/stock/adjustments",
            json={"sku": "APPLE", "location": "SHOP", "delta": -1, "reason": "broken"},
            headers=headers,
        )
    assert below_reserved.status_code == below_zero.status_code == 409
    assert below_reserved.headers["content-type"].startswith(PROBLEM)
    assert (below_reserved.json()["on_hand"], below_reserved.json()["reserved"]) == (5, 3)
    assert (below_zero.json()["on_hand"], below_zero.json()["reserved"]) == (0, 0)
    assert await _written(harness) == before
    stock = await level(harness.db, shelf["apple"], shelf["warehouse"])
    assert (stock.on_hand, stock.reserved) == (5, 3)
    assert await level(harness.db, shelf["apple"], shelf["shop"]) is None


async def test_a_products_stock_lists_every_location_default_first(
    harness: Harness, shelf: dict[str, int]
) -> None:
    await reserve_stock(
        harness.db, "order:1", [Line(shelf["apple"], 2)], shelf["warehouse"], on_low=draft_reorder
    )
    headers = await _bearer(harness, Role.STAFF)
    async with harness.client() as client:
        found = await client.get(f"/api/v1/products/{shelf['apple']}/stock", headers=headers)
        missing = await client.get("/api/v1/products/999999/stock", headers=headers)
    assert found.status_code == 200
    assert found.json() == [
        {"location": "WH", "on_hand": 5, "reserved": 2, "available": 3, "backordered": 0, "bin": None},
        {"location": "SHOP", "on_hand": 0, "reserved": 0, "available": 0, "backordered": 0, "bin": None},
    ]
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize("role", [Role.DRIVER, Role.CUSTOMER])
async def test_drivers_and_customers_may_neither_see_nor_adjust_stock(
    harness: Harness, shelf: dict[str, int], role: Role
) -> None:
    headers = await _bearer(harness, role)
    async with harness.client() as client:
        seen = await client.get(f"/api/v1/products/{shelf['apple']}/stock", headers=headers)
        adjusted = await client.post(
            "/api/v1/stock/adjustments", json={"sku": "APPLE", "delta": 1, "reason": "mine"}, headers=headers
        )
    assert seen.status_code == adjusted.status_code == 403
    assert (await level(harness.db, shelf["apple"], shelf["warehouse"])).on_hand == 5


async def test_without_a_token_the_api_answers_401(harness: Harness, shelf: dict[str, int]) -> None:
    async with harness.client() as client:
        seen = await client.get(f"/api/v1/products/{shelf['apple']}/stock")
        adjusted = await client.post(
            "/api/v1/stock/adjustments", json={"sku": "APPLE", "delta": 1, "reason": "anon"}
        )
    assert seen.status_code == adjusted.status_code == 401
    assert adjusted.headers["content-type"].startswith(PROBLEM)
