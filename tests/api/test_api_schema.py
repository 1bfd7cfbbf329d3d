"""The published OpenAPI schema says what each API operation answers, errors included, with examples;
and the ids it documents are the ones the databases can hold."""

from __future__ import annotations

from typing import Any

import pytest

from backend.auth.rules import Role
from backend.web.inputs import MAX_ID
from tests.api.conftest import Harness
from tests.api.order_fixtures import build_shop

PROBLEM = {"$ref": "#/components/schemas/Problem"}
WRITE_METHODS = {"post", "patch"}


async def _operations(harness: Harness) -> list[tuple[str, str, dict[str, Any]]]:
    async with harness.client() as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    found = [(method, path, op) for path, ops in paths.items() for method, op in ops.items()]
    assert len(found) >= 16
    return found


async def test_every_api_error_is_documented_as_one_problem_shape(harness: Harness) -> None:
    for method, path, operation in await _operations(harness):
        expected = {"400", "401", "403"} | ({"409", "413", "422"} if method in WRITE_METHODS else set())
        assert expected <= operation["responses"].keys(), (method, path)
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert response["content"]["application/problem+json"]["schema"] == PROBLEM, (method, path)
                assert response["content"]["application/problem+json"]["examples"], (method, path)


async def test_operations_that_look_a_row_up_document_its_absence(harness: Harness) -> None:
    for method, path, operation in await _operations(harness):
        if "{" in path:
            assert "404" in operation["responses"], (method, path)


async def test_every_success_is_documented_with_its_shape_and_an_example(harness: Harness) -> None:
    for method, path, operation in await _operations(harness):
        [(status, success)] = [(s, r) for s, r in operation["responses"].items() if s.startswith("2")]
        if status == "204":  # no content to show (a driver's position, kept)
            assert "content" not in success, (method, path)
        elif "application/pdf" in success["content"]:  # a file: its shape is its media type
            assert success["content"]["application/pdf"]["schema"], (method, path)
            continue
        else:
            content = success["content"]["application/json"]
            assert content["schema"], (method, path)
            assert content["examples"], (method, path)
        if method in WRITE_METHODS:
            body = operation["requestBody"]["content"]["application/json"]
            assert body["schema"]["examples"], (method, path)


async def test_the_problem_shape_names_the_standard_members_and_the_field_errors(harness: Harness) -> None:
    async with harness.client() as client:
        schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"type", "title", "status"}
    assert {"detail", "instance", "errors", "current_version"} <= problem["properties"].keys()
    assert schemas["ProblemItem"]["required"] == ["message"]


async def test_ids_are_documented_within_what_the_databases_hold(harness: Harness) -> None:
    for method, path, operation in await _operations(harness):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"]["maximum"] == MAX_ID, (method, path)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/api/v1/products/{MAX_ID + 1}", 404),
        (f"/api/v1/products/{2**63}/stock", 404),
        (f"/api/v1/orders/{MAX_ID + 1}", 404),
        (f"/api/v1/orders?customer={MAX_ID + 1}", 400),
        (f"/api/v1/products?category={2**64}", 400),
        (f"/api/v1/orders?cursor={MAX_ID + 1}", 400),
        (f"/api/v1/products?cursor={2**63}:Apple", 400),
    ],
)
async def test_an_id_no_database_can_hold_is_a_client_error_not_a_server_error(
    harness: Harness, url: str, status: int
) -> None:
    await build_shop(harness.db)
    token = await harness.token(Role.OWNER)
    async with harness.client() as client:
        response = await client.get(url, headers={"authorization": f"Bearer {token}"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_every_schema_has_a_name_of_its_own(harness: Harness) -> None:
    # Two domains' structs with one name are told apart by their module path ("backend_…_LineIn"),
    # which a client's generated code would carry: each published shape is named once, plainly.
    async with harness.client() as client:
        schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    assert [name for name in schemas if not name.isidentifier() or "_" in name] == []
