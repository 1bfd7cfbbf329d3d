"""Whatever arrives, the answer is a clear 4xx in the format the client asked for, never a 500."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.kernel.events import Event
from tests.api.conftest import Harness, MakeHarness, post_form

HTML = {"accept": "text/html"}
JSON = {"accept": "application/json"}


async def _events(harness: Harness) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(Event))


async def test_an_unknown_page_is_a_404_page_for_browsers_and_a_problem_for_json(harness: Harness) -> None:
    async with harness.client() as client:
        page = await client.get("/no/such/page", headers=HTML)
        api = await client.get("/api/v1/no-such-thing")
        asked = await client.get("/no/such/page", headers=JSON)
    assert page.status_code == api.status_code == asked.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "This page does not exist" in page.text
    assert api.headers["content-type"].startswith("application/problem+json")
    assert asked.json()["status"] == 404


async def test_an_unknown_page_speaks_the_browsers_language(harness: Harness) -> None:
    async with harness.client() as client:
        page = await client.get("/nulle/part", headers={**HTML, "accept-language": "fr-FR,fr;q=0.9"})
    assert page.status_code == 404
    assert 'lang="fr"' in page.text


async def test_a_wrong_method_is_a_405(harness: Harness) -> None:
    async with harness.client() as client:
        page = await client.delete("/login", headers=HTML)
        api = await client.post("/api/v1/me", json={})
    assert page.status_code == api.status_code == 405
    assert api.headers["content-type"].startswith("application/problem+json")


async def test_an_oversized_body_is_a_413_and_nothing_is_written(make_harness: MakeHarness) -> None:
    harness = await make_harness(max_body_bytes=10_000)
    token = await harness.token(Role.OWNER)
    before = await _events(harness)
    async with harness.client() as client:
        big = b'{"version": 1, "name": "' + b"x" * 20_000 + b'"}'
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        api = await client.patch("/api/v1/me", content=big, headers=headers)
    async with harness.signed_in(Role.OWNER) as browser:
        form = await post_form(browser, "/me", {"name": "y" * 20_000, "version": "1"})
    assert api.status_code == 413
    assert api.headers["content-type"].startswith("application/problem+json")
    assert form.status_code == 413
    assert "too large" in form.text
    assert await _events(harness) == before


async def test_malformed_form_bodies_are_clear_400s(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        token = client.cookies["csrftoken"]
        garbage = await client.post(
            "/me",
            content=b"\xff\xfe%%%name",
            headers={"content-type": "application/x-www-form-urlencoded", "x-csrftoken": token},
        )
        no_fields = await post_form(client, "/me", {})
        wrong_type = await client.post(
            "/me", content=b'{"name": 1}', headers={"content-type": "application/json", "x-csrftoken": token}
        )
    for response in (garbage, no_fields, wrong_type):
        assert 400 <= response.status_code < 500, response.text
    assert await _events(harness) == 0


async def test_a_path_parameter_of_the_wrong_type_is_a_client_error(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        response = await client.get("/team/not-a-number/permissions")
    assert response.status_code in (400, 404)


async def test_an_api_body_of_the_wrong_media_type_is_refused(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    async with harness.client() as client:
        response = await client.patch(
            "/api/v1/me",
            content=b"version=1",
            headers={"Authorization": f"Bearer {token}", "content-type": "text/plain"},
        )
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/problem+json")
