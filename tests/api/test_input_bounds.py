"""No input gets a 500: ids past what a row can have, NUL characters, broken or deep JSON, numbers
sent as strings, invisible names, unknown filter values — on every route, pages and API."""

from __future__ import annotations

import re
from typing import get_args

import httpx
import pytest
from litestar import Litestar
from litestar.params import ParameterKwarg
from litestar.routes import HTTPRoute
from sqlalchemy import func, select

from backend.auth.models import User
from backend.auth.rules import Role
from backend.catalog.models import Product
from backend.customers.models import Customer
from tests.api.conftest import Harness, csrf_token, post_form
from tests.api.order_fixtures import build_shop

# Past SQLite's INTEGER, past PostgreSQL's integer (ids), and far below zero.
OUT_OF_RANGE = (2**63, 2**31, -(2**70))
WRITES = {"POST", "PATCH", "PUT", "DELETE"}
ORDER = {
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
    "lines": [{"sku": "APPLE", "quantity": 2}],
    "fulfilment_mode": "pickup",
    "location": "BTQ",
    "payment_method": "cash",
}


def _routes(app: Litestar) -> list[tuple[HTTPRoute, str]]:
    return [
        (route, method)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for method in sorted(route.methods - {"OPTIONS", "HEAD"})
    ]


def _with(route: HTTPRoute, value: int) -> str:
    """The route's path with ``value`` in its first number and 1 in the others."""
    numbers = [name for name, spec in route.path_parameters.items() if spec.type is int]
    path = route.path_format
    for name, spec in route.path_parameters.items():
        path = path.replace(
            "{" + name + "}", str(value if name == numbers[0] else 1) if spec.type is int else "x"
        )
    return path


async def _send(
    client: httpx.AsyncClient, method: str, url: str, token: str, **kwargs: object
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}", "x-csrftoken": await csrf_token(client)}
    return await client.request(method, url, headers=headers, **kwargs)


async def test_a_number_no_row_can_have_in_any_path_is_a_404(harness: Harness) -> None:
    routes = [(route, method) for route, method in _routes(harness.app) if re.search(":int}", route.path)]
    assert len(routes) > 30  # every page, API and media route with an id
    token = await harness.token(Role.OWNER)
    answers = {}
    async with harness.signed_in(Role.OWNER) as client:
        for route, method in routes:
            for value in OUT_OF_RANGE:
                url = _with(route, value)
                answers[f"{method} {url}"] = (await _send(client, method, url, token)).status_code
        anonymous = await harness.client().get(f"/media/products/{2**63}")
    assert {url: status for url, status in answers.items() if status != 404} == {}
    assert anonymous.status_code == 404


def _int_query_parameters(route: HTTPRoute, method: str) -> list[str]:
    handler = next(h for h in route.route_handlers if method in h.http_methods)
    found, injected = [], handler.resolve_dependencies()  # given by the app, never read from the query
    for name, field in handler.parsed_fn_signature.parameters.items():
        if name in route.path_parameters or name in injected:
            continue
        if not isinstance(field.kwarg_definition, ParameterKwarg | None):
            continue
        if field.annotation is int or int in get_args(field.annotation):
            named = field.kwarg_definition
            found.append((named and (named.query or getattr(named, "name", None))) or name)
    return found


async def test_a_number_no_row_can_have_in_any_query_is_a_client_error(harness: Harness) -> None:
    await build_shop(harness.db)
    token = await harness.token(Role.OWNER)
    asked = [
        (route.path_format, name)
        for route, method in _routes(harness.app)
        if method == "GET" and not route.path_parameters
        for name in _int_query_parameters(route, method)
    ]
    # Pages that read their ids from text, by hand.
    asked += [("/shop", "category"), ("/catalog", "category"), ("/orders/all", "customer")]
    assert ("/api/v1/orders", "customer") in asked
    assert ("/api/v1/products", "category") in asked
    answers = {}
    async with harness.signed_in(Role.OWNER) as client:
        for path, name in asked:
            for value in (2**63, 2**31, "²"):
                response = await _send(client, "GET", path, token, params={name: value})
                answers[f"{path}?{name}={value}"] = response.status_code
    assert {url: status for url, status in answers.items() if not 400 <= status < 500} == {}
    assert answers["/api/v1/orders?customer=9223372036854775808"] == 400
    assert answers["/shop?category=9223372036854775808"] == 400


@pytest.mark.parametrize("path", ["/shop", "/catalog", "/api/v1/products", "/api/v1/orders", "/orders/all"])
async def test_a_nul_in_a_search_is_a_400_that_names_it(harness: Harness, path: str) -> None:
    await build_shop(harness.db)
    token = await harness.token(Role.OWNER)
    async with harness.signed_in(Role.OWNER) as client:
        response = await _send(client, "GET", f"{path}?q=%00abc", token)
        fine = await _send(client, "GET", f"{path}?q=abc", token)
    assert response.status_code == 400
    assert "NUL" in response.text
    assert fine.status_code == 200


BROKEN_JSON = {
    "invalid UTF-8": b'{"version": 1, "name": "\xff\xfe"}',
    "10,000 brackets": b"[" * 10_000 + b"]" * 10_000,
    "10,000 brackets in a field": b'{"version": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
}


@pytest.mark.parametrize("kind", list(BROKEN_JSON))
async def test_a_broken_json_body_is_a_400_problem_on_every_api_write(harness: Harness, kind: str) -> None:
    shop = await build_shop(harness.db)
    token = await harness.token(Role.OWNER)
    # A provider's webhook reads its body as signed bytes, and is not there unless the provider is
    # configured (tests/api/test_stripe_checkout.py: a body that is not what was signed is a 400).
    writes = [
        (route, m)
        for route, m in _routes(harness.app)
        if route.path.startswith("/api/") and not route.path.startswith("/api/v1/webhooks/") and m in WRITES
    ]
    assert len(writes) >= 8
    answers = {}
    async with harness.client() as client:
        for route, method in writes:
            url = _with(route, shop.products["APPLE"])
            headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
            response = await client.request(method, url, content=BROKEN_JSON[kind], headers=headers)
            answers[f"{method} {url}"] = (response.status_code, response.headers["content-type"])
    assert {url: a for url, a in answers.items() if a != (400, "application/problem+json")} == {}
    async with harness.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0


async def test_a_nul_in_a_json_string_is_a_400_naming_its_field(harness: Harness) -> None:
    await build_shop(harness.db)
    token = await harness.token(Role.OWNER)
    customer = {"name": "Ada\u0000", "email": "a@b.fr"}
    async with harness.client() as client:
        client.headers["authorization"] = f"Bearer {token}"
        me = await client.patch("/api/v1/me", json={"version": 1, "name": "Olive\x00"})
        order = await client.post("/api/v1/orders", json={**ORDER, "customer": customer})
    assert (me.status_code, order.status_code) == (400, 400)
    assert me.json()["errors"][0]["key"] == "name"
    assert order.json()["errors"][0]["key"] == "customer.name"
    async with harness.db.read() as session:
        assert await session.scalar(select(User.name).where(User.email == "owner@shop.test")) == "Olive Owner"
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0


async def test_numbers_are_json_numbers_on_every_api_write(harness: Harness) -> None:
    await build_shop(harness.db)
    token = await harness.token(Role.OWNER)
    product = {"sku": "TEA", "name": "Tea", "price_minor": "100", "currency": "EUR"}
    sent = [
        ("POST", "/api/v1/products", product),
        ("PATCH", "/api/v1/products/1", {"version": "1", "name": "Apple"}),
        ("PATCH", "/api/v1/me", {"version": "1", "name": "Olive"}),
        ("POST", "/api/v1/orders", {**ORDER, "lines": [{"sku": "APPLE", "quantity": "2"}]}),
        ("POST", "/api/v1/stock/adjustments", {"sku": "APPLE", "delta": "5", "reason": "found"}),
    ]
    async with harness.client() as client:
        client.headers["authorization"] = f"Bearer {token}"
        answers = [(await client.request(method, url, json=body)) for method, url, body in sent]
        placed = await client.post("/api/v1/orders", json=ORDER)
        accept = await client.post(f"/api/v1/orders/{placed.json()['id']}/accept", json={"version": "1"})
        schema = (await client.get("/schema/openapi.json")).json()
    for response in [*answers, accept]:
        assert response.status_code == 400, response.text
        assert "Expected `int" in response.json()["detail"]
    fields = schema["components"]["schemas"]
    assert fields["ProductIn"]["properties"]["price_minor"]["type"] == "integer"
    assert fields["LineIn"]["properties"]["quantity"]["type"] == "integer"
    async with harness.db.read() as session:
        assert (
            await session.scalar(select(func.count()).select_from(Product).where(Product.sku == "TEA")) == 0
        )


async def test_unknown_filter_values_are_a_400_on_the_order_list_page_and_api(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    async with harness.signed_in(Role.OWNER) as client:
        for name in ("status", "channel", "mode", "priority"):
            api = await _send(client, "GET", "/api/v1/orders", token, params={name: "bogus"})
            page = await client.get("/orders/all", params={name: "bogus"})
            assert (api.status_code, page.status_code) == (400, 400), name
            assert api.headers["content-type"] == "application/problem+json"
        known = await _send(client, "GET", "/api/v1/orders", token, params={"status": "placed"})
        schema = (await client.get("/schema/openapi.json")).json()
    assert known.status_code == 200
    listed = {p["name"]: p for p in schema["paths"]["/api/v1/orders"]["get"]["parameters"]}
    assert "OrderStatus" in str(listed["status"]["schema"])
    assert "placed" in schema["components"]["schemas"]["OrderStatus"]["enum"]


INVISIBLE = "\u200b\u2060\u200d"


async def test_names_with_nothing_visible_are_refused_in_forms_and_the_api(harness: Harness) -> None:
    await build_shop(harness.db)
    token = await harness.token(Role.OWNER)
    async with harness.signed_in(Role.OWNER) as client:
        me = await post_form(client, "/me", {"name": INVISIBLE, "version": "1"})
        product = await post_form(
            client, "/catalog/new", {"sku": "TEA", "name": INVISIBLE, "price": "1", "currency": "EUR"}
        )
        supplier = await post_form(client, "/suppliers/new", {"name": INVISIBLE, "lead_time_days": "2"})
    async with harness.client() as client:
        client.headers["authorization"] = f"Bearer {token}"
        api_me = await client.patch("/api/v1/me", json={"version": 1, "name": INVISIBLE})
        api_product = await client.post(
            "/api/v1/products", json={"sku": "TEA", "name": INVISIBLE, "price_minor": 1, "currency": "EUR"}
        )
        order = await client.post(
            "/api/v1/orders", json={**ORDER, "customer": {"name": INVISIBLE, "email": "a@b.fr"}}
        )
    for response in (me, product, supplier):
        assert response.status_code == 400
        assert "Enter a name" in response.text
    for response in (api_me, api_product, order):
        assert response.status_code in (400, 422)
        assert {error["key"] for error in response.json()["errors"]} & {"name", "customer.name"}
    async with harness.db.read() as session:
        assert await session.scalar(select(User.name).where(User.email == "owner@shop.test")) != INVISIBLE
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0


async def test_a_nul_in_any_form_field_is_refused_naming_the_field(harness: Harness) -> None:
    await build_shop(harness.db)
    async with harness.signed_in(Role.OWNER) as client:
        me = await post_form(client, "/me", {"name": "Olive\x00", "version": "1"})
        product = await post_form(
            client, "/catalog/new", {"sku": "TEA", "name": "Tea", "description": "\x00", "price": "1"}
        )
    async with harness.client() as shopper:
        checkout = await post_form(shopper, "/shop/checkout", {"name": "Ada\x00", "email": "a@b.fr"})
    for response, field in ((me, "name"), (product, "description"), (checkout, "name")):
        assert response.status_code == 400
        assert f"{field}: This contains a NUL character" in response.text
    async with harness.db.read() as session:
        assert await session.scalar(select(User.name).where(User.email == "owner@shop.test")) == "Olive Owner"
        assert (
            await session.scalar(select(func.count()).select_from(Product).where(Product.sku == "TEA")) == 0
        )
