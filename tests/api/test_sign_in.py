from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from backend.auth.models import WebSession
from backend.auth.rules import Role
from backend.auth.web.middleware import SESSION_COOKIE
from backend.kernel.db import utcnow
from tests.api.conftest import (
    PASSWORD,
    PEOPLE,
    Harness,
    MakeHarness,
    caught_up,
    csrf_token,
    post_form,
    sign_in,
)
from tests.writing import update_all

OWNER_EMAIL = PEOPLE[Role.OWNER][0]


async def _session_count(harness: Harness) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(WebSession))


async def test_signing_in_opens_a_session_with_a_safe_cookie(harness: Harness) -> None:
    async with harness.client() as client:
        response = await sign_in(client, OWNER_EMAIL, PASSWORD)
        assert response.status_code == 303
        assert response.headers["location"] == "/"
        cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # plain http in tests; Secure is added on https base URLs
        home = await client.get("/")
    assert home.status_code == 200
    assert PEOPLE[Role.OWNER][1] in home.text


async def test_the_session_cookie_is_secure_on_https(make_harness: MakeHarness) -> None:
    harness = await make_harness(base_url="https://shop.example")
    async with harness.client() as client:
        response = await sign_in(client, OWNER_EMAIL, PASSWORD)
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "Secure" in cookie


async def test_each_sign_in_gets_a_new_session_token(harness: Harness) -> None:
    async with harness.client() as first, harness.client() as second:
        await sign_in(first, OWNER_EMAIL, PASSWORD)
        await sign_in(second, OWNER_EMAIL, PASSWORD)
        assert first.cookies[SESSION_COOKIE] != second.cookies[SESSION_COOKIE]
    assert await _session_count(harness) == 2


async def test_signing_in_again_in_the_same_browser_replaces_its_session(harness: Harness) -> None:
    async with harness.client() as client:
        await sign_in(client, OWNER_EMAIL, PASSWORD)
        old = client.cookies[SESSION_COOKIE]
        token = await csrf_token(client)
        data = {"email": PEOPLE[Role.STAFF][0], "password": PASSWORD, "_csrf_token": token}
        assert (await client.post("/login", data=data)).status_code == 303
        assert client.cookies[SESSION_COOKIE] != old
    assert await _session_count(harness) == 1


async def test_a_wrong_password_is_refused_without_opening_a_session(harness: Harness) -> None:
    async with harness.client() as client:
        response = await sign_in(client, OWNER_EMAIL, "not the password")
    assert response.status_code == 400
    assert "wrong" in response.text
    assert await _session_count(harness) == 0


async def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(harness: Harness) -> None:
    async with harness.client() as client:
        unknown = await sign_in(client, "nobody@shop.test", PASSWORD)
        wrong = await sign_in(client, OWNER_EMAIL, "not the password")
    assert unknown.status_code == wrong.status_code == 400


async def test_a_sign_in_form_with_missing_fields_is_shown_again_with_messages(harness: Harness) -> None:
    async with harness.client() as client:
        response = await post_form(client, "/login", {"email": ""})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text


async def test_signing_out_ends_the_session(harness: Harness) -> None:
    async with harness.client() as client:
        await sign_in(client, OWNER_EMAIL, PASSWORD)
        response = await post_form(client, "/logout", {})
        assert response.status_code == 303
        assert await _session_count(harness) == 0
        again = await client.get("/me")
    assert again.status_code == 401


async def test_the_next_parameter_never_leads_to_another_site(harness: Harness) -> None:
    async with harness.client() as client:
        token = await csrf_token(client)
        data = {"email": OWNER_EMAIL, "password": PASSWORD, "next": "//evil.example/", "_csrf_token": token}
        response = await client.post("/login", data=data)
    assert response.headers["location"] == "/"


async def test_an_expired_session_shows_the_sign_in_page_and_forgets_the_cookie(harness: Harness) -> None:
    async with harness.client() as client:
        await sign_in(client, OWNER_EMAIL, PASSWORD)
        await harness.db.run(update_all, WebSession, expires_at=utcnow() - timedelta(seconds=1))
        response = await client.get("/me")
    assert response.status_code == 401
    assert "session has ended" in response.text
    assert any(
        h.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" in h
        for h in response.headers.get_list("set-cookie")
    )


async def test_a_session_older_than_the_absolute_limit_is_refused(make_harness: MakeHarness) -> None:
    harness = await make_harness(session_absolute_hours=1)
    async with harness.client() as client:
        await sign_in(client, OWNER_EMAIL, PASSWORD)
        await harness.db.run(update_all, WebSession, created_at=utcnow() - timedelta(hours=2))
        response = await client.get("/me")
    assert response.status_code == 401


async def test_activity_pushes_back_the_idle_timeout(harness: Harness) -> None:
    async with harness.client() as client:
        await sign_in(client, OWNER_EMAIL, PASSWORD)
        long_ago = utcnow() - timedelta(hours=1)
        soon = utcnow() + timedelta(minutes=1)
        await harness.db.run(update_all, WebSession, last_seen_at=long_ago, expires_at=soon)
        await client.get("/me")
    async with harness.db.read() as session:
        web_session = await session.scalar(select(WebSession))
    assert web_session.last_seen_at > long_ago
    assert web_session.expires_at > utcnow() + timedelta(minutes=harness.settings.session_idle_minutes - 1)


async def test_repeated_failures_for_one_email_are_throttled(make_harness: MakeHarness) -> None:
    harness = await make_harness(login_attempts_per_window=3)
    async with harness.client() as client:
        for _ in range(3):
            assert (await sign_in(client, OWNER_EMAIL, "wrong password!")).status_code == 400
        blocked = await sign_in(client, OWNER_EMAIL, PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many attempts" in blocked.text
    assert await _session_count(harness) == 0


async def test_repeated_failures_from_one_address_are_throttled_across_emails(
    make_harness: MakeHarness,
) -> None:
    harness = await make_harness(login_attempts_per_window=3)
    async with harness.client() as client:
        for n in range(3):
            await sign_in(client, f"guess{n}@shop.test", "wrong password!")
        blocked = await sign_in(client, PEOPLE[Role.STAFF][0], PASSWORD)
    assert blocked.status_code == 429


async def test_a_successful_sign_in_clears_the_email_throttle(make_harness: MakeHarness) -> None:
    harness = await make_harness(login_attempts_per_window=3)
    async with harness.client() as client:
        for _ in range(2):
            await sign_in(client, OWNER_EMAIL, "wrong password!")
        assert (await sign_in(client, OWNER_EMAIL, PASSWORD)).status_code == 303


async def test_a_password_change_elsewhere_signs_out_a_device_that_was_just_active(harness: Harness) -> None:
    async with harness.client() as phone, harness.client() as laptop:
        await sign_in(phone, OWNER_EMAIL, PASSWORD)
        await sign_in(laptop, OWNER_EMAIL, PASSWORD)
        assert (await laptop.get("/me")).status_code == 200  # remembered by the process now
        data = {"current_password": PASSWORD, "new_password": "a much newer secret"}
        assert (await post_form(phone, "/me/password", data)).status_code == 303
        await caught_up(harness.app)  # what every process's tailer does
        assert (await laptop.get("/me")).status_code == 401


async def test_a_sign_out_on_one_process_is_honoured_by_another(make_harness: MakeHarness) -> None:
    first, second = await make_harness(), await make_harness()  # two processes, one database
    async with first.client() as on_first, second.client() as on_second:
        await sign_in(on_first, OWNER_EMAIL, PASSWORD)
        on_second.cookies[SESSION_COOKIE] = on_first.cookies[SESSION_COOKIE]
        assert (await on_second.get("/me")).status_code == 200  # now in the second one's memory
        assert (await post_form(on_first, "/logout", {})).status_code == 303
        await caught_up(second.app)
        assert (await on_second.get("/me")).status_code == 401


async def test_events_nobody_listens_to_are_not_rendered(harness: Harness) -> None:
    published: list[tuple[str, str]] = []
    tailer = harness.app.state.tailer

    class Recording:
        def publish(self, data: str, channels: str) -> None:
            published.append((channels, data))

    tailer.channels = Recording()
    async with harness.client() as phone, harness.client() as laptop:
        await sign_in(phone, OWNER_EMAIL, PASSWORD)
        await sign_in(laptop, OWNER_EMAIL, PASSWORD)
        assert (await laptop.get("/me")).status_code == 200
        data = {"current_password": PASSWORD, "new_password": "a much newer secret"}
        assert (await post_form(phone, "/me/password", data)).status_code == 303
        await tailer.publish_new()
        assert published == []
        assert (await laptop.get("/me")).status_code == 401  # the caches still heard the event
        async with tailer.listeners.listening({f"user:{harness.users[Role.OWNER].id}"}, "fr"):
            data = {"current_password": "a much newer secret", "new_password": "yet another secret"}
            assert (await post_form(phone, "/me/password", data)).status_code == 303
            await tailer.publish_new()
    assert published, "an event someone listens to is published"
    assert all(set(json.loads(data)["html"]) == {"fr"} for _, data in published)
