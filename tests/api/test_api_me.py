from __future__ import annotations

from backend.auth.rules import Permission, Role
from tests.api.conftest import Harness


async def test_a_valid_token_shows_the_account(harness: Harness) -> None:
    token = await harness.token(Role.STAFF)
    async with harness.client() as client:
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "staff@shop.test"
    assert body["role"] == "staff"
    assert Permission.ORDERS_MANAGE.value in body["permissions"]
    assert Permission.USERS_MANAGE.value not in body["permissions"]
    assert {"email", "name", "role", "permissions"} <= body.keys()


async def test_no_token_gets_a_401_problem(harness: Harness) -> None:
    async with harness.client() as client:
        response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 401


async def test_a_wrong_or_malformed_token_gets_a_401_problem(harness: Harness) -> None:
    async with harness.client() as client:
        for header in ("Bearer not-a-token", "Basic b3duZXI6cGFzcw==", "Bearer "):
            response = await client.get("/api/v1/me", headers={"Authorization": header})
            assert response.status_code == 401, header
            assert response.json()["detail"] == "The bearer token is missing, revoked or wrong."


async def test_a_session_cookie_does_not_authenticate_the_api(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        response = await client.get("/api/v1/me")
    assert response.status_code == 401


async def test_patch_me_changes_only_the_fields_sent(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    headers = {"Authorization": f"Bearer {token}"}
    async with harness.client() as client:
        response = await client.patch("/api/v1/me", json={"version": 1, "locale": "fr"}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["locale"] == "fr"
        assert response.json()["name"] == "Olive Owner"
        assert response.json()["version"] == 2
        stale = await client.patch("/api/v1/me", json={"version": 1, "name": "X"}, headers=headers)
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2


async def test_patch_me_rejects_bad_bodies_with_a_problem(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with harness.client() as client:
        for body in (
            b"{not json",
            b'{"version": 1, "name": ""}',
            b'{"version": 1, "locale": "xx"}',
            b'{"name": "no version"}',
            b'{"version": 1, "role": "owner"}',
            b"[]",
        ):
            response = await client.patch("/api/v1/me", content=body, headers=headers)
            assert response.status_code == 400, body
            assert response.headers["content-type"].startswith("application/problem+json")
        me = await client.get("/api/v1/me", headers=headers)
    assert me.json()["version"] == 1
    assert me.json()["role"] == "owner"
