"""API tokens expire, are revoked, are listed and do not outlive a password change."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from sqlalchemy import select

from backend.auth.models import ApiToken
from backend.auth.principal import hash_credential
from backend.auth.rules import Role
from backend.auth.service import create_api_token
from backend.idempotency.models import IdempotencyKey
from backend.kernel.db import utcnow
from tests.api.conftest import PASSWORD, PEOPLE, Harness, MakeHarness, post_form, unchecked_token

STAFF_EMAIL = PEOPLE[Role.STAFF][0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def settle(*harnesses: Harness) -> None:
    """Let each process's tailer hear the events so far, so that a principal remembered next is
    forgotten only by what the test does afterwards."""
    for harness in harnesses:
        await harness.app.state.tailer.publish_new()
    await asyncio.sleep(0.05)  # and let a tailer already woken finish its round


async def _token_row(harness: Harness, raw: str) -> ApiToken:
    async with harness.db.read() as session:
        return await session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_credential(raw)))


async def test_an_expired_token_gets_a_401(harness: Harness) -> None:
    expired = await unchecked_token(
        harness.db, harness.users[Role.STAFF].id, expires_at=utcnow() - timedelta(seconds=1)
    )
    async with harness.client() as api:
        response = await api.get("/api/v1/me", headers=bearer(expired))
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_remembered_token_stops_working_when_it_expires(harness: Harness) -> None:
    raw = await create_api_token(harness.db, STAFF_EMAIL, "short", expires_at=utcnow() + timedelta(seconds=1))
    await settle(harness)
    async with harness.client() as api:
        assert (await api.get("/api/v1/me", headers=bearer(raw))).status_code == 200
        await asyncio.sleep(1.1)
        assert (await api.get("/api/v1/me", headers=bearer(raw))).status_code == 401


async def test_a_token_created_on_the_page_is_shown_once_and_works(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        data = {"label": "Till sync", "expires": "30", "_idempotency_key": "create-1"}
        created = await post_form(staff, "/me/tokens", data)
        assert created.status_code == 201
        assert created.headers["cache-control"] == "no-store"
        raw = re.search(r">(cmp_[^<]+)</textarea>", created.text).group(1)
        again = await post_form(staff, "/me/tokens", data)  # a double tap, or the browser resending
        assert again.status_code == 303
        assert again.headers["location"] == "/me/tokens?saved=created"
        assert raw not in (await staff.get(again.headers["location"])).text
    async with harness.db.read() as session:
        rows = list(await session.scalars(select(ApiToken)))
        stored = list(await session.scalars(select(IdempotencyKey.body)))
    assert [(row.label, row.token_hash) for row in rows] == [("Till sync", hash_credential(raw))]
    assert timedelta(days=29) < rows[0].expires_at - utcnow() <= timedelta(days=30)
    assert all(raw.encode() not in (body or b"") for body in stored)
    async with harness.client() as api:
        assert (await api.get("/api/v1/me", headers=bearer(raw))).json()["email"] == STAFF_EMAIL


async def test_a_bad_expiry_or_label_is_a_form_error(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        bad_expiry = await post_form(staff, "/me/tokens", {"label": "x", "expires": "yesterday"})
        long_label = await post_form(staff, "/me/tokens", {"label": "x" * 101, "expires": "30"})
        nul_label = await post_form(staff, "/me/tokens", {"label": "a\x00b", "expires": "30"})
    assert bad_expiry.status_code == long_label.status_code == nul_label.status_code == 400
    assert "Choose one of the offered expiry dates." in bad_expiry.text
    assert "at most 100 characters" in long_label.text
    async with harness.db.read() as session:
        assert list(await session.scalars(select(ApiToken))) == []


async def test_revoking_on_the_page_refuses_the_token_at_once(harness: Harness) -> None:
    raw = await harness.token(Role.STAFF)
    token = await _token_row(harness, raw)
    await settle(harness)
    async with harness.client() as api, harness.signed_in(Role.STAFF) as staff:
        assert (await api.get("/api/v1/me", headers=bearer(raw))).status_code == 200  # remembered
        revoked = await post_form(staff, f"/me/tokens/{token.id}/revoke", {})
        assert revoked.status_code == 303
        assert (await api.get("/api/v1/me", headers=bearer(raw))).status_code == 401
        listed = await staff.get("/me/tokens")
    assert "Revoked" in listed.text
    assert (await _token_row(harness, raw)).revoked_at is not None


async def test_a_token_revoked_on_one_process_is_refused_by_another(make_harness: MakeHarness) -> None:
    first, second = await make_harness(), await make_harness()  # two processes, one database
    raw = await create_api_token(first.db, STAFF_EMAIL, "sync")
    token = await _token_row(first, raw)
    await settle(first, second)
    async with second.client() as on_second, first.client() as owner:
        assert (await on_second.get("/api/v1/me", headers=bearer(raw))).status_code == 200  # remembered
        signed_in = await post_form(owner, "/login", {"email": PEOPLE[Role.OWNER][0], "password": PASSWORD})
        assert signed_in.status_code == 303
        assert (await post_form(owner, f"/team/tokens/{token.id}/revoke", {})).status_code == 303
        await second.app.state.tailer.publish_new()  # what every process's tailer does
        assert (await on_second.get("/api/v1/me", headers=bearer(raw))).status_code == 401


async def test_each_person_lists_only_their_own_tokens_and_the_owner_lists_all(harness: Harness) -> None:
    await create_api_token(harness.db, PEOPLE[Role.OWNER][0], "owner's backup job")
    staff_raw = await create_api_token(harness.db, STAFF_EMAIL, "staff till")
    owner_token = (await _token_row(harness, staff_raw)).id - 1
    async with harness.signed_in(Role.STAFF) as staff:
        mine = await staff.get("/me/tokens")
        everyone = await staff.get("/team/tokens")
        not_mine = await post_form(staff, f"/me/tokens/{owner_token}/revoke", {})
        not_mine_either = await post_form(staff, f"/team/tokens/{owner_token}/revoke", {})
    assert "staff till" in mine.text
    assert "backup job" not in mine.text
    assert everyone.status_code == not_mine_either.status_code == 403
    assert not_mine.status_code == 404
    async with harness.signed_in(Role.OWNER) as owner:
        own = await owner.get("/me/tokens")
        team = await owner.get("/team/tokens")
    assert "backup job" in own.text
    assert "staff till" not in own.text
    assert all(text in team.text for text in ("backup job", "staff till", STAFF_EMAIL))
    async with harness.db.read() as session:
        assert list(await session.scalars(select(ApiToken.revoked_at))) == [None, None]


async def test_a_password_change_revokes_the_persons_tokens_when_asked(harness: Harness) -> None:
    raw = await harness.token(Role.STAFF)
    await settle(harness)
    async with harness.client() as api, harness.signed_in(Role.STAFF) as staff:
        assert (await api.get("/api/v1/me", headers=bearer(raw))).status_code == 200  # remembered
        keep = {"current_password": PASSWORD, "new_password": "a much newer secret"}
        assert (await post_form(staff, "/me/password", keep)).status_code == 303
        assert (await api.get("/api/v1/me", headers=bearer(raw))).status_code == 200
        await settle(harness)
        assert (await api.get("/api/v1/me", headers=bearer(raw))).status_code == 200  # remembered again
        revoke = {
            "current_password": "a much newer secret",
            "new_password": "yet another secret",
            "revoke_tokens": "1",
        }
        assert (await post_form(staff, "/me/password", revoke)).status_code == 303
        assert (await api.get("/api/v1/me", headers=bearer(raw))).status_code == 401
        form = await staff.get("/me")
    assert 'name="revoke_tokens" value="1" checked' in form.text
