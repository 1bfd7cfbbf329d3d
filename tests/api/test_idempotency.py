from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.events import Event
from backend.idempotency import service
from backend.idempotency.models import IdempotencyKey
from tests.api.conftest import Harness, post_form


async def _profile_events(harness: Harness) -> int:
    async with harness.db.read() as session:
        query = select(func.count()).select_from(Event).where(Event.type == "user.profile_updated")
        return await session.scalar(query)


async def test_the_same_key_and_request_answers_the_stored_response(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-1"}
    async with harness.client() as client:
        first = await client.patch("/api/v1/me", json={"version": 1, "name": "Once"}, headers=headers)
        second = await client.patch("/api/v1/me", json={"version": 1, "name": "Once"}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert await _profile_events(harness) == 1


async def test_the_same_key_with_a_different_body_is_refused(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-2"}
    async with harness.client() as client:
        await client.patch("/api/v1/me", json={"version": 1, "name": "First"}, headers=headers)
        other = await client.patch("/api/v1/me", json={"version": 2, "name": "Second"}, headers=headers)
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert await _profile_events(harness) == 1


async def test_a_duplicate_while_the_first_is_in_flight_gets_409(harness: Harness) -> None:
    owner_id = harness.users[Role.OWNER].id
    token = await harness.token(Role.OWNER)
    async with harness.client() as client:
        body = b'{"version": 1, "name": "Racing"}'
        headers = {
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": "k-3",
            "Content-Type": "application/json",
        }
        # Claim the key as the first request would, then send the duplicate before it completes.
        from backend.idempotency.rules import fingerprint_raw

        fingerprint = fingerprint_raw("PATCH", "/api/v1/me", "", body)
        await service.claim(harness.db, service.Keyed(f"user:{owner_id}", "k-3", fingerprint))
        response = await client.patch("/api/v1/me", content=body, headers=headers)
    assert response.status_code == 409
    assert await _profile_events(harness) == 0


async def test_concurrent_duplicates_apply_once(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-4"}
    async with harness.client() as client:
        responses = await asyncio.gather(
            *(
                client.patch("/api/v1/me", json={"version": 1, "name": "Tap"}, headers=headers)
                for _ in range(10)
            )
        )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}
    assert statuses.count(200) >= 1
    assert await _profile_events(harness) == 1


async def test_a_form_can_carry_its_key_in_a_hidden_field(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        data = {"name": "Offline edit", "locale": "", "version": "1", "_idempotency_key": "form-key"}
        first = await post_form(client, "/me", data)
        replay = await post_form(client, "/me", data)
    assert first.status_code == replay.status_code == 303
    assert replay.headers["idempotent-replayed"] == "true"
    assert await _profile_events(harness) == 1


async def test_keys_are_scoped_to_the_principal(harness: Harness) -> None:
    owner, staff = await harness.token(Role.OWNER), await harness.token(Role.STAFF)
    async with harness.client() as client:
        for token in (owner, staff):
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "shared"}
            response = await client.patch("/api/v1/me", json={"version": 1, "name": "Mine"}, headers=headers)
            assert response.status_code == 200
            assert "idempotent-replayed" not in response.headers
    assert await _profile_events(harness) == 2


async def test_a_failed_validation_is_stored_too_so_a_replay_gets_the_same_answer(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-5"}
    async with harness.client() as client:
        first = await client.patch("/api/v1/me", json={"version": 1, "name": ""}, headers=headers)
        again = await client.patch("/api/v1/me", json={"version": 1, "name": ""}, headers=headers)
    assert first.status_code == again.status_code == 400
    assert again.headers["idempotent-replayed"] == "true"


async def test_an_unusable_key_is_refused(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    async with harness.client() as client:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "x" * 201}
        response = await client.patch("/api/v1/me", json={"version": 1}, headers=headers)
    assert response.status_code == 400


async def test_keys_older_than_seven_days_are_purged(harness: Harness) -> None:
    from datetime import timedelta

    from backend.db import utcnow

    async with harness.db.write() as session:
        session.add(
            IdempotencyKey(
                principal="user:1", key="old", fingerprint="f", created_at=utcnow() - timedelta(days=8)
            )
        )
        session.add(
            IdempotencyKey(
                principal="user:1", key="new", fingerprint="f", created_at=utcnow() - timedelta(days=6)
            )
        )
    assert await service.purge_expired(harness.db) == 1
    async with harness.db.read() as session:
        assert await session.scalar(select(IdempotencyKey.key)) == "new"
