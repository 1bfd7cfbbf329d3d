"""Idempotency keys: the key, the change and its result commit in one transaction, so a retry after
a crash gets the first result and never applies the change twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.idempotency import rules, service
from backend.idempotency.models import IdempotencyKey
from backend.idempotency.web.middleware import RequestKey, SecondChange
from backend.inventory.models import StockMovement
from backend.inventory.web import api as stock_api
from backend.kernel.db import command_key, unkeyed, utcnow
from backend.kernel.events import Event
from backend.kernel.tx import Tx
from tests.api.conftest import PASSWORD, PEOPLE, Harness, csrf_token, post_form
from tests.api.stock_fixtures import add_location, add_product, level
from tests.api.stock_helpers import receive_stock
from tests.writing import add_all

ADJUSTMENTS = "/api/v1/stock/adjustments"


async def _profile_events(harness: Harness) -> int:
    async with harness.db.read() as session:
        query = select(func.count()).select_from(Event).where(Event.type == "user.profile_updated")
        return await session.scalar(query)


async def _keys(harness: Harness) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(IdempotencyKey))


async def _movements(harness: Harness) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(StockMovement))


@pytest.fixture
async def apples(harness: Harness) -> tuple[int, int]:
    """5 apples at the default warehouse: (product, location)."""
    warehouse = await add_location(harness.db, "WH", default=True)
    apple = await add_product(harness.db, "APPLE")
    await receive_stock(harness.db, apple, warehouse, 5)
    return apple, warehouse


async def test_the_same_key_and_request_answers_the_stored_result(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-1"}
    async with harness.client() as client:
        first = await client.patch("/api/v1/me", json={"version": 1, "name": "Once"}, headers=headers)
        second = await client.patch("/api/v1/me", json={"version": 1, "name": "Once"}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
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


async def test_the_same_json_spaced_and_ordered_otherwise_is_the_same_request(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    headers = {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": "k-spacing",
        "Content-Type": "application/json",
    }
    async with harness.client() as client:
        first = await client.patch("/api/v1/me", content=b'{"version":1,"name":"Same"}', headers=headers)
        again = await client.patch(
            "/api/v1/me", content=b'{\n  "name": "Same",\n  "version": 1\n}', headers=headers
        )
    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await _profile_events(harness) == 1


def test_a_fingerprint_is_of_what_the_request_means() -> None:
    a = rules.fingerprint_json("POST", "/x", "b=2&a=1", b'{"a": 1, "b": [1, {"d": 2, "c": 3}]}')
    b = rules.fingerprint_json("POST", "/x", "a=1&b=2", b'{"b":[1,{"c":3,"d":2}],"a":1}')
    assert a == b
    assert a != rules.fingerprint_json("POST", "/x", "a=1&b=2", b'{"b":[{"c":3,"d":2},1],"a":1}')
    assert rules.fingerprint_json("POST", "/x", "", b"not json") == rules.fingerprint_raw(
        "POST", "/x", "", b"not json"
    )


async def test_concurrent_duplicates_apply_once_and_all_get_the_result(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-4"}
    async with harness.client() as client:
        responses = await asyncio.gather(
            *(
                client.patch("/api/v1/me", json={"version": 1, "name": "Tap"}, headers=headers)
                for _ in range(10)
            )
        )
    # Each duplicate waits for the first (the writer, or the key's unique index) and replays it.
    assert [r.status_code for r in responses] == [200] * 10
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 9
    assert await _profile_events(harness) == 1


async def test_a_keyed_adjustment_answered_by_a_dying_process_is_never_applied_twice(
    harness: Harness, apples: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    apple, warehouse = apples
    headers = {"Authorization": f"Bearer {await harness.token(Role.STAFF)}", "Idempotency-Key": "adj-1"}
    body = {"sku": "APPLE", "delta": 3, "reason": "found a crate"}

    def crash(*_: object) -> None:
        raise RuntimeError("the process dies before the answer goes out")

    async with harness.client() as client:
        with monkeypatch.context() as patched:
            patched.setattr(stock_api, "LevelOut", crash)
            lost = await client.post(ADJUSTMENTS, json=body, headers=headers)
        assert lost.status_code == 500  # the change committed; its answer never reached the client
        # The key and the result were written with the change, in its transaction.
        assert (await _keys(harness), await _movements(harness)) == (1, 2)
        retried = await client.post(ADJUSTMENTS, json=body, headers=headers)
    assert retried.status_code == 201, retried.text
    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.json()["on_hand"] == 8
    assert await _movements(harness) == 2  # the receipt and one adjustment
    assert (await level(harness.db, apple, warehouse)).on_hand == 8


async def test_a_refused_change_leaves_no_key_and_a_retry_is_judged_afresh(
    harness: Harness, apples: tuple[int, int]
) -> None:
    headers = {"Authorization": f"Bearer {await harness.token(Role.STAFF)}", "Idempotency-Key": "adj-2"}
    body = {"sku": "APPLE", "delta": -7, "reason": "gone"}
    async with harness.client() as client:
        refused = await client.post(ADJUSTMENTS, json=body, headers=headers)
        assert refused.status_code == 409
        assert await _keys(harness) == 0
        await receive_stock(harness.db, apples[0], apples[1], 2)
        applied = await client.post(ADJUSTMENTS, json=body, headers=headers)
    assert applied.status_code == 201, applied.text
    assert "idempotent-replayed" not in applied.headers
    assert applied.json()["on_hand"] == 0


async def test_a_keyed_product_creation_makes_one_product(harness: Harness) -> None:
    headers = {"Authorization": f"Bearer {await harness.token(Role.OWNER)}", "Idempotency-Key": "new-pear"}
    body = {"sku": "PEAR", "name": "Pear", "price_minor": 120, "currency": "EUR", "category": "Fruit"}
    async with harness.client() as client:
        first = await client.post("/api/v1/products", json=body, headers=headers)
        again = await client.post("/api/v1/products", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    async with harness.db.read() as session:
        created = select(func.count()).select_from(Event).where(Event.type == "product.created")
        assert await session.scalar(created) == 1


async def test_signing_in_takes_no_key_each_try_opens_a_session(harness: Harness) -> None:
    async with harness.client() as client:
        data = {"email": PEOPLE[Role.STAFF][0], "password": PASSWORD, "_csrf_token": await csrf_token(client)}
        answers = [await client.post("/login", data=data, headers={"Idempotency-Key": "in"}) for _ in "ab"]
    assert [answer.status_code for answer in answers] == [303, 303]
    assert all("idempotent-replayed" not in answer.headers for answer in answers)
    assert all("set-cookie" in answer.headers for answer in answers)
    assert await _keys(harness) == 0


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


async def test_a_failed_validation_stores_nothing_and_is_judged_again(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-5"}
    async with harness.client() as client:
        first = await client.patch("/api/v1/me", json={"version": 1, "name": ""}, headers=headers)
        again = await client.patch("/api/v1/me", json={"version": 1, "name": ""}, headers=headers)
    assert first.status_code == again.status_code == 400
    assert "idempotent-replayed" not in again.headers
    assert await _keys(harness) == 0


async def test_an_unusable_key_is_refused(harness: Harness) -> None:
    token = await harness.token(Role.OWNER)
    async with harness.client() as client:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "x" * 201}
        response = await client.patch("/api/v1/me", json={"version": 1}, headers=headers)
    assert response.status_code == 400


# -- the kernel's side: one keyed change per request ------------------------------------------------


def count_event(tx: Tx, type_: str) -> int:
    tx.execute(
        "INSERT INTO events (at, type, subject, data) VALUES (:at, :type, 'test', '{}')",
        {
            "at": tx.now(),
            "type": type_,
        },
    )
    return 1


@unkeyed
def count_aside(tx: Tx, type_: str) -> int:
    return count_event(tx, type_)


async def test_a_keyed_request_makes_one_change_and_bookkeeping_stays_aside(harness: Harness) -> None:
    key = RequestKey(service.Keyed("user:1", "one-change", "f"), keep=True)
    token = command_key.set(key)
    try:
        assert await harness.db.run(count_aside, "test.aside") == 1  # does not take the key
        assert await harness.db.run(count_event, "test.change") == 1
        assert not key.replayed
        with pytest.raises(SecondChange):
            await harness.db.run(count_event, "test.second")
    finally:
        command_key.reset(token)
    assert await _keys(harness) == 1
    replay = RequestKey(service.Keyed("user:1", "one-change", "f"), keep=True)
    token = command_key.set(replay)
    try:
        assert await harness.db.run(count_event, "test.change") == 1
    finally:
        command_key.reset(token)
    assert replay.replayed
    async with harness.db.read() as session:
        types = list(await session.scalars(select(Event.type).where(Event.subject == "test")))
    assert sorted(types) == ["test.aside", "test.change"]


def big_result(tx: Tx) -> str:
    return "x" * (rules.MAX_STORED_RESULT + 1)


async def test_a_result_too_large_to_keep_is_not_kept_and_its_replay_is_refused(harness: Harness) -> None:
    keyed = service.Keyed("user:1", "big", "f")
    replayed, _ = await harness.db.run(service.run_keyed, keyed, True, big_result, ())
    assert not replayed
    with pytest.raises(service.HandledBefore):
        await harness.db.run(service.run_keyed, keyed, True, big_result, ())


async def test_keys_older_than_seven_days_are_purged(harness: Harness) -> None:
    old, new = utcnow() - timedelta(days=8), utcnow() - timedelta(days=6)
    await harness.db.run(
        add_all,
        [
            IdempotencyKey(principal="user:1", key="old", fingerprint="f", created_at=old),
            IdempotencyKey(principal="user:1", key="new", fingerprint="f", created_at=new),
        ],
    )
    assert await service.purge_expired(harness.db) == 1
    async with harness.db.read() as session:
        assert await session.scalar(select(IdempotencyKey.key)) == "new"
