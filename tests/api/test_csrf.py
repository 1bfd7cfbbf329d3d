from __future__ import annotations

from sqlalchemy import select

from backend.auth.models import User
from backend.auth.rules import Role
from tests.api.conftest import PASSWORD, PEOPLE, Harness, csrf_token, sign_in


async def _owner_name(harness: Harness) -> str:
    async with harness.db.read() as session:
        return await session.scalar(select(User.name).where(User.id == harness.users[Role.OWNER].id))


async def test_a_form_without_a_csrf_token_is_refused_and_nothing_is_written(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        response = await client.post("/me", data={"name": "Forged", "locale": "", "version": "1"})
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert await _owner_name(harness) == "Olive Owner"


async def test_a_wrong_csrf_token_is_refused(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        data = {"name": "Forged", "locale": "", "version": "1", "_csrf_token": "0" * 128}
        response = await client.post("/me", data=data)
    assert response.status_code == 403
    assert await _owner_name(harness) == "Olive Owner"


async def test_the_csrf_header_works_for_htmx_requests(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        headers = {"x-csrftoken": await csrf_token(client), "hx-request": "true"}
        data = {"name": "Via htmx", "locale": "", "version": "1"}
        response = await client.post("/me", data=data, headers=headers)
    assert response.status_code == 303
    assert await _owner_name(harness) == "Via htmx"


async def test_a_json_client_gets_a_problem_for_a_csrf_failure(harness: Harness) -> None:
    async with harness.client() as client:
        data = {"email": PEOPLE[Role.OWNER][0], "password": PASSWORD}
        response = await client.post("/login", data=data, headers={"accept": "application/json"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_sign_in_itself_needs_the_csrf_token(harness: Harness) -> None:
    async with harness.client() as client:
        response = await client.post("/login", data={"email": PEOPLE[Role.OWNER][0], "password": PASSWORD})
        assert response.status_code == 403
        assert (await sign_in(client, PEOPLE[Role.OWNER][0], PASSWORD)).status_code == 303
