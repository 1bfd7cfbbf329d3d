"""Password guesses are limited per address and per (address, account) in the database, so that the
limits hold for simultaneous attempts and across processes; an account attacked from many addresses
is slowed down, never locked."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx

from backend.auth.rules import Role
from backend.auth.throttle import Throttle
from tests.api.conftest import PASSWORD, PEOPLE, MakeHarness, csrf_token, sign_in

OWNER_EMAIL = PEOPLE[Role.OWNER][0]
STAFF_EMAIL = PEOPLE[Role.STAFF][0]


async def _wrong(client: httpx.AsyncClient, token: str, email: str = OWNER_EMAIL) -> httpx.Response:
    return await client.post("/login", data={"email": email, "password": "guess!" * 3, "_csrf_token": token})


async def test_simultaneous_wrong_passwords_from_one_address_get_no_more_than_the_limit(
    make_harness: MakeHarness,
) -> None:
    first, second = await make_harness(), await make_harness()  # two processes, one database
    limit = first.settings.login_attempts_per_window
    async with first.client() as one, second.client() as other:
        tokens = {one: await csrf_token(one), other: await csrf_token(other)}
        clients = [one, other] * 12 + [one]
        answers = await asyncio.gather(*(_wrong(client, tokens[client]) for client in clients))
        right = await sign_in(one, OWNER_EMAIL, PASSWORD)
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {400: limit, 429: len(clients) - limit}
    assert all(int(a.headers["retry-after"]) > 0 for a in answers if a.status_code == 429)
    assert right.status_code == 429  # the address waits, even with the right password


async def test_failures_from_one_address_leave_the_owner_free_to_sign_in_from_another(
    make_harness: MakeHarness,
) -> None:
    harness = await make_harness(login_attempts_per_window=3)
    async with harness.client("198.51.100.1") as attacker, harness.client("198.51.100.2") as owner:
        token = await csrf_token(attacker)
        tries = [(await _wrong(attacker, token)).status_code for _ in range(5)]
        owner_answer = await sign_in(owner, OWNER_EMAIL, PASSWORD)
        attacker_right = await sign_in(attacker, OWNER_EMAIL, PASSWORD)
    assert tries == [400, 400, 400, 429, 429]
    assert owner_answer.status_code == 303
    assert attacker_right.status_code == 429


async def test_failures_from_many_addresses_slow_an_account_down_but_never_lock_it(
    make_harness: MakeHarness,
) -> None:
    harness = await make_harness(login_attempts_per_window=3)
    for n in range(2):
        async with harness.client(f"198.51.100.{n + 1}") as attacker:
            token = await csrf_token(attacker)
            assert [(await _wrong(attacker, token)).status_code for _ in range(3)] == [400] * 3
    expected_wait = Throttle(3, harness.settings.login_window_seconds).delay_for(6)
    async with harness.client("198.51.100.9") as owner:
        await csrf_token(owner)
        started = time.monotonic()
        answer = await sign_in(owner, OWNER_EMAIL, PASSWORD)
        waited = time.monotonic() - started
    assert expected_wait >= 1
    assert answer.status_code == 303
    assert waited >= expected_wait


async def test_a_right_password_gives_the_address_back_its_own_typing_mistakes(
    make_harness: MakeHarness,
) -> None:
    harness = await make_harness(login_attempts_per_window=3)
    async with harness.client() as office:
        token = await csrf_token(office)
        assert [(await _wrong(office, token)).status_code for _ in range(2)] == [400, 400]
        assert (await sign_in(office, OWNER_EMAIL, PASSWORD)).status_code == 303
        colleague = [(await _wrong(office, token, STAFF_EMAIL)).status_code for _ in range(4)]
    assert colleague == [400, 400, 400, 429]


async def test_signing_in_to_ones_own_account_gives_back_no_guesses_at_another(
    make_harness: MakeHarness,
) -> None:
    harness = await make_harness(login_attempts_per_window=3)
    async with harness.client() as attacker:
        token = await csrf_token(attacker)
        assert [(await _wrong(attacker, token)).status_code for _ in range(2)] == [400, 400]
        assert (await sign_in(attacker, STAFF_EMAIL, PASSWORD)).status_code == 303
        after = [(await _wrong(attacker, token)).status_code for _ in range(2)]
    assert after == [400, 429]
