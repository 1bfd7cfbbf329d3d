"""The catalog JSON API: create, read, list, change — and every way to get it wrong."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.catalog.models import Product
from tests.api.conftest import Harness

APPLE = {
    "sku": "apl-1",
    "name": "Apples (1 kg)",
    "price_minor": 349,
    "currency": "EUR",
    "tax_rate": "5.5",
    "category": "Fruit",
}


@pytest.fixture
async def api(harness: Harness) -> httpx.AsyncClient:
    token = await harness.token(Role.OWNER)
    client = harness.client()
    client.headers["Authorization"] = f"Bearer {token}"
    async with client:
        yield client


async def _products(harness: Harness) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(Product))


async def test_creating_a_product_answers_201_with_id_and_version(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/products", json=APPLE)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] > 0
    assert body["version"] == 1
    assert body["sku"] == "APL-1"  # SKUs are case-insensitive and kept upper-case
    assert (body["tax_rate"], body["category"], body["price_minor"]) == ("5.5", "Fruit", 349)
    fetched = await api.get(f"/api/v1/products/{body['id']}")
    assert fetched.json() == body


async def test_tax_rate_and_category_are_optional(api: httpx.AsyncClient) -> None:
    minimal = {key: APPLE[key] for key in ("sku", "name", "price_minor", "currency")}
    response = await api.post("/api/v1/products", json=minimal)
    assert response.status_code == 201
    assert (response.json()["tax_rate"], response.json()["category"]) == ("0", None)


async def test_categories_match_whatever_the_case_even_beyond_ascii(api: httpx.AsyncClient) -> None:
    first = await api.post("/api/v1/products", json={**APPLE, "sku": "e-1", "category": "Épicerie"})
    second = await api.post("/api/v1/products", json={**APPLE, "sku": "e-2", "category": "ÉPICERIE"})
    third = await api.post("/api/v1/products", json={**APPLE, "sku": "e-3", "category": "épicerie"})
    assert [r.status_code for r in (first, second, third)] == [201, 201, 201], third.text
    # The first spelling is the category's name; later ones join it rather than split it.
    assert {r.json()["category"] for r in (first, second, third)} == {"Épicerie"}


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"price_minor": -1}, 400),
        ({"price_minor": 12.5}, 400),
        ({"price_minor": 10**12}, 400),
        ({"currency": "euro"}, 400),
        ({"currency": "XYZ"}, 422),
        ({"currency": "FRF"}, 422),
        ({"tax_rate": "5.555"}, 422),
        ({"tax_rate": "120"}, 422),
        ({"tax_rate": "abc"}, 422),
        ({"sku": "has space"}, 422),
        ({"sku": ""}, 400),
        ({"name": ""}, 400),
        ({"barcode": "4006381333932"}, 422),  # wrong check digit
        ({"unknown_field": 1}, 400),
    ],
)
async def test_bad_products_are_refused_with_a_problem_and_nothing_written(
    api: httpx.AsyncClient, harness: Harness, change: dict[str, object], status: int
) -> None:
    response = await api.post("/api/v1/products", json={**APPLE, **change})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await _products(harness) == 0


async def test_a_withdrawn_currency_is_refused_with_the_form_s_message(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/products", json={**APPLE, "currency": "DEM"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"key": "currency", "message": "This currency is no longer in use; choose a current one."}
    ]


async def test_a_duplicate_sku_is_a_conflict(api: httpx.AsyncClient, harness: Harness) -> None:
    await api.post("/api/v1/products", json=APPLE)
    again = await api.post("/api/v1/products", json={**APPLE, "sku": "APL-1", "name": "Other"})
    assert again.status_code == 409
    assert again.json()["errors"][0]["key"] == "sku"
    assert await _products(harness) == 1


async def test_concurrent_creates_of_one_sku_make_one_product(
    api: httpx.AsyncClient, harness: Harness
) -> None:
    responses = await asyncio.gather(*(api.post("/api/v1/products", json=APPLE) for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7
    assert await _products(harness) == 1


async def test_patch_changes_what_is_sent_and_refuses_a_stale_version(api: httpx.AsyncClient) -> None:
    created = (await api.post("/api/v1/products", json=APPLE)).json()
    url = f"/api/v1/products/{created['id']}"
    changed = await api.patch(url, json={"version": 1, "price_minor": 399, "category": None})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["price_minor"], changed.json()["category"], changed.json()["version"]) == (
        399,
        None,
        2,
    )
    assert changed.json()["name"] == APPLE["name"]
    stale = await api.patch(url, json={"version": 1, "name": "Pears"})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert stale.json()["current"]["price_minor"] == 399


async def test_patch_of_nothing_new_keeps_the_version(api: httpx.AsyncClient) -> None:
    created = (await api.post("/api/v1/products", json=APPLE)).json()
    same = await api.patch(f"/api/v1/products/{created['id']}", json={"version": 1, "price_minor": 349})
    assert same.json()["version"] == 1


async def test_unknown_products_are_404_problems(api: httpx.AsyncClient) -> None:
    for response in (
        await api.get("/api/v1/products/999"),
        await api.patch("/api/v1/products/999", json={"version": 1}),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_list_pages_with_a_cursor_and_searches(api: httpx.AsyncClient) -> None:
    for n in range(7):
        await api.post(
            "/api/v1/products", json={**APPLE, "sku": f"P{n}", "name": f"Product {n}", "barcode": None}
        )
    await api.post(
        "/api/v1/products", json={**APPLE, "sku": "BRD", "name": "Bread", "barcode": "4006381333931"}
    )
    first = (await api.get("/api/v1/products", params={"limit": 3})).json()
    assert [p["name"] for p in first["items"]] == ["Bread", "Product 0", "Product 1"]
    second = (await api.get("/api/v1/products", params={"limit": 3, "cursor": first["next_cursor"]})).json()
    assert [p["name"] for p in second["items"]] == ["Product 2", "Product 3", "Product 4"]
    last = (await api.get("/api/v1/products", params={"limit": 10, "cursor": second["next_cursor"]})).json()
    assert last["next_cursor"] is None
    assert len(last["items"]) == 2
    by_name = (await api.get("/api/v1/products", params={"q": "bre"})).json()["items"]
    by_sku = (await api.get("/api/v1/products", params={"q": "p3"})).json()["items"]
    by_barcode = (await api.get("/api/v1/products", params={"q": "4006381333931"})).json()["items"]
    assert [p["sku"] for p in by_name] == [p["sku"] for p in by_barcode] == ["BRD"]
    assert [p["sku"] for p in by_sku] == ["P3"]
    assert (await api.get("/api/v1/products", params={"cursor": "nonsense"})).status_code == 400
    assert (await api.get("/api/v1/products", params={"limit": 0})).status_code == 400


async def test_archived_products_leave_the_list_unless_asked_for(api: httpx.AsyncClient) -> None:
    created = (await api.post("/api/v1/products", json=APPLE)).json()
    await api.patch(f"/api/v1/products/{created['id']}", json={"version": 1, "active": False})
    assert (await api.get("/api/v1/products")).json()["items"] == []
    archived = (await api.get("/api/v1/products", params={"include_archived": "true"})).json()["items"]
    assert [p["active"] for p in archived] == [False]


async def test_drivers_and_customers_cannot_use_the_catalog_api(harness: Harness) -> None:
    for role in (Role.DRIVER, Role.CUSTOMER):
        token = await harness.token(role)
        async with harness.client() as client:
            client.headers["Authorization"] = f"Bearer {token}"
            assert (await client.get("/api/v1/products")).status_code == 403
            assert (await client.post("/api/v1/products", json=APPLE)).status_code == 403
