"""A server killed with ``kill -9`` in the middle of keyed orders and stock adjustments loses nothing
it acknowledged and applies no retry twice.

Sixteen clients place orders and adjust stock, each request with an idempotency key of its own,
until the server process (and, on SQLite, its writer process) is killed. Then every request whose
answer was lost is sent again with the same key, to the restarted server (SQLite) or to the other
server process sharing the database (PostgreSQL), and so is every acknowledged one. A key may never
answer "still being processed" then: nothing is processing it any more.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, text
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from backend.app import PLUGINS
from backend.auth.rules import Role
from backend.auth.service import create_api_token
from backend.kernel.db import Database
from backend.kernel.events import ORDERS_TOPIC, STAFF_TOPIC, Event, latest_event_id
from backend.realtime.rules import MAX_REPLAY
from backend.web.plugin import DomainPlugin
from tests.api.conftest import PASSWORD, PEOPLE, _add_people
from tests.api.order_fixtures import build_shop
from tests.conftest import _run
from tests.live import LiveServer, session_cookie

CLIENTS = 16
PER_CLIENT = 12  # at most 192 requests: the events they make stay within one socket replay
KILL_AFTER = 90  # acknowledged answers before the kill, so that the clients are mid-flight
VICTIM = 0  # the server killed: the only one on SQLite, the first of two on PostgreSQL
ORDERS, ADJUST = "/api/v1/orders", "/api/v1/stock/adjustments"
LOAD_SECONDS = 3.0  # the kill comes by then at the latest
STOCK = 100_000  # units of each product at the boutique: no placement runs short
OPEN = ("placed", "on_hold")  # the only statuses a placement gives; both hold stock
CURSOR = re.compile(r'\A\s*<span id="live-cursor" hidden data-last-event="(\d+)"[^>]*></span>\s*\Z')
LAST_EVENT = re.compile(r'data-last-event="(\d+)"')

LIVE = DomainPlugin.assemble(PLUGINS).live  # who hears what, as the app says


@dataclass
class Attempt:
    """One keyed request and what became of it before the kill."""

    path: str
    key: str
    body: dict[str, Any]
    server: int  # index of the server it was sent to
    status: int | None = None  # None: the answer was lost
    answer: bytes = b""

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and self.status < 500


def _order(key: str, client: int) -> dict[str, Any]:
    return {
        "customer": {"name": f"Client {client}", "email": f"client{client}@crash.test"},
        "lines": [{"sku": "APPLE", "quantity": 1}, {"sku": "PEAR", "quantity": 2}],
        "fulfilment_mode": "pickup",
        "location": "BTQ",
        "payment_method": "card",
        "channel": "staff",
        "notes": key,  # how the test finds the order a key made
    }


def _attempt(client: int, n: int, servers: int) -> Attempt:
    key = f"crash-{client}-{n}"
    if (client + n) % 3 == 0:  # one in three: most requests adjust stock, many of them under way at the kill
        return Attempt(ORDERS, key, _order(key, client), client % servers)
    adjustment = {"sku": "APPLE", "delta": 1 + n % 3, "reason": key, "location": "BTQ"}
    return Attempt(ADJUST, key, adjustment, client % servers)


async def _send(client: httpx.AsyncClient, attempt: Attempt) -> httpx.Response:
    return await client.post(attempt.path, json=attempt.body, headers={"Idempotency-Key": attempt.key})


@dataclass
class Crash:
    """A load against ``servers`` that kills ``servers[VICTIM]`` in its middle."""

    servers: list[LiveServer]
    token: str

    def __post_init__(self) -> None:
        self.attempts: list[Attempt] = []
        self.acknowledged = 0
        self.killed = asyncio.Event()

    def _kill(self) -> None:
        if not self.killed.is_set():
            self.servers[VICTIM].kill()
            self.killed.set()

    async def _client(self, n: int, http: httpx.AsyncClient) -> None:
        for i in range(PER_CLIENT):
            if self.killed.is_set():
                return  # no new request starts after the crash
            attempt = _attempt(n, i, len(self.servers))
            self.attempts.append(attempt)
            try:
                response = await _send(http, attempt)
            except httpx.TransportError:
                continue  # the answer is lost
            attempt.status, attempt.answer = response.status_code, response.content
            self.acknowledged += attempt.acknowledged
            # The kill comes just as the victim has answered an adjustment: whatever it still
            # does for that request after answering is cut short, as are the requests under way.
            if self.acknowledged >= KILL_AFTER and attempt.server == VICTIM and attempt.path == ADJUST:
                self._kill()

    async def run(self) -> None:
        """Load until the kill (LOAD_SECONDS at the latest), and let every request under way end."""
        clients = [self._http(server) for server in self.servers]
        try:
            tasks = [asyncio.create_task(self._client(n, clients[n % len(clients)])) for n in range(CLIENTS)]
            try:
                async with asyncio.timeout(LOAD_SECONDS):
                    await self.killed.wait()
            except TimeoutError:
                self._kill()
            await asyncio.gather(*tasks)
        finally:
            for client in clients:
                await client.aclose()

    def _http(self, server: LiveServer) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.token}"}
        limits = httpx.Limits(max_connections=CLIENTS)
        return httpx.AsyncClient(base_url=server.url, headers=headers, timeout=15, limits=limits)


# -- the database, read directly ------------------------------------------------------------------


async def _seed(url: str) -> tuple[str, int]:
    db = Database(url)
    try:
        people = await _add_people(db)
        await build_shop(db, {"APPLE": (0, STOCK), "PEAR": (0, STOCK)})
        token = await create_api_token(db, PEOPLE[Role.OWNER][0], "crash")
        return token, people[Role.OWNER].id
    finally:
        await db.dispose()


async def _query(url: str, statement: str, **params: object) -> list[tuple[Any, ...]]:
    db = Database(url)
    try:
        async with db.read() as session:
            return [tuple(row) for row in (await session.execute(text(statement), params)).all()]
    finally:
        await db.dispose()


async def _latest_event(url: str) -> int:
    db = Database(url)
    try:
        async with db.read() as session:
            return await latest_event_id(session)
    finally:
        await db.dispose()


async def _events_heard_by(url: str, owner_id: int, after: int) -> list[int]:
    """Ids of the committed events after ``after`` that the owner's socket is to hear."""
    topics = {STAFF_TOPIC, ORDERS_TOPIC, f"user:{owner_id}"}
    db = Database(url)
    try:
        async with db.read() as session:
            events = await session.scalars(select(Event).where(Event.id > after).order_by(Event.id))
            return [event.id for event in events if LIVE.topics_for(event) & topics]
    finally:
        await db.dispose()


# -- the live socket ------------------------------------------------------------------------------


def _heard(message: str) -> tuple[int | None, int | None]:
    """(event id, cursor): a message carries one event, or is a bare cursor."""
    cursor = CURSOR.match(message)
    if cursor:
        return None, int(cursor.group(1))
    found = LAST_EVENT.findall(message)
    return (int(found[-1]) if found else None), None


async def _listen(
    server: LiveServer, cookie: str, since: int, heard: list[int], until: list[int] | None
) -> None:
    """Collect the event ids a socket receives, until it closes or has heard every id of ``until``
    and then its cursor (on PostgreSQL events come in commit order, not id order)."""
    headers = {"Cookie": f"comptoir_session={cookie}"}
    url = f"ws://127.0.0.1:{server.port}/ws?since={since}"
    try:
        async with connect(url, additional_headers=headers, origin=server.url, open_timeout=5) as socket:
            while True:
                event, cursor = _heard(str(await socket.recv()))
                if event is not None:
                    heard.append(event)
                if until is not None and cursor is not None and set(heard) >= set(until):
                    return
    except ConnectionClosed:
        return


# -- the scenario -------------------------------------------------------------------------------


def _comparable(answer: bytes) -> dict[str, Any]:
    """An answer as JSON, its tracking link reduced to its path: the link names the server that
    answers, and a restarted server listens on another port."""
    body = json.loads(answer)
    if "tracking_url" in body:
        body["tracking_url"] = urlsplit(body["tracking_url"]).path
    return body


def _retry_statuses(retried: list[tuple[Attempt, httpx.Response]]) -> list[str]:
    return [
        f"{attempt.path} key {attempt.key}: {response.status_code} {response.text[:120]}"
        for attempt, response in retried
        if response.status_code != 201
    ]


async def _retry(
    server: LiveServer, token: str, attempts: list[Attempt]
) -> list[tuple[Attempt, httpx.Response]]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=15) as client:
        semaphore = asyncio.Semaphore(CLIENTS)

        async def one(attempt: Attempt) -> tuple[Attempt, httpx.Response]:
            async with semaphore:
                return attempt, await _send(client, attempt)

        return list(await asyncio.gather(*(one(attempt) for attempt in attempts)))


async def test_a_killed_server_loses_no_acknowledged_request_and_applies_no_retry_twice(
    database_url: str, tmp_path: Path
) -> None:
    sqlite = database_url.startswith("sqlite")
    token, owner_id = _run(_seed(database_url))
    servers = [LiveServer(database_url, tmp_path) for _ in range(1 if sqlite else 2)]
    try:
        for server in servers:
            server.start()
        await _scenario(database_url, servers, token, owner_id, sqlite)
    finally:
        for server in servers:
            server.stop()


async def _scenario(url: str, servers: list[LiveServer], token: str, owner_id: int, sqlite: bool) -> None:
    cookie = await session_cookie(servers[0].url, PEOPLE[Role.OWNER][0], PASSWORD)
    before = await _latest_event(url)
    live: list[int] = []
    listening = asyncio.create_task(_listen(servers[0], cookie, before, live, until=None))
    await asyncio.sleep(0.2)  # the socket is open before the first request
    crash = Crash(servers, token)
    await crash.run()
    await listening
    survivor = servers[0].start() if sqlite else servers[1]  # a restart is a new port: fine

    # What was committed before the crash, the socket that comes back hears exactly once, in order.
    committed = await _events_heard_by(url, owner_id, before)
    assert 0 < len(committed) <= MAX_REPLAY, "the load is sized for one socket replay"
    assert set(live) <= set(committed), "an event announced live before the crash was not committed"
    replayed: list[int] = []
    await asyncio.wait_for(_listen(survivor, cookie, before, replayed, until=committed), 15)
    assert sorted(replayed) == committed, "each committed event once"
    if sqlite:
        assert replayed == committed, "one writer: the ids are the commit order"

    attempts = crash.attempts
    lost = [attempt for attempt in attempts if not attempt.acknowledged]
    acknowledged = [attempt for attempt in attempts if attempt.acknowledged]
    assert lost, "the kill came while requests were under way"
    assert acknowledged
    assert all(attempt.status == 201 for attempt in acknowledged), [a.answer[:200] for a in acknowledged]

    # Every lost answer, asked again with its key, is definitive at once: no key is left "still
    # being processed" by a process that is gone.
    retried = await _retry(survivor, token, lost)
    assert _retry_statuses(retried) == []
    # Every acknowledged answer is replayed as it was given.
    replays = await _retry(survivor, token, acknowledged)
    wrong = [
        f"{attempt.path} key {attempt.key}: {response.status_code} {response.text[:120]}"
        for attempt, response in replays
        if response.status_code != attempt.status
        or _comparable(response.content) != _comparable(attempt.answer)
        or response.headers.get("idempotent-replayed") != "true"
    ]
    assert wrong == []

    await _check_store(url, attempts, sqlite)


async def _check_store(url: str, attempts: list[Attempt], sqlite: bool) -> None:
    orders = [attempt for attempt in attempts if attempt.path == ORDERS]
    adjustments = [attempt for attempt in attempts if attempt.path == ADJUST]

    # One order per key, and it is the one acknowledged.
    made = await _query(url, "SELECT notes, id FROM orders")
    per_key = Counter(notes for notes, _ in made)
    assert {attempt.key: per_key[attempt.key] for attempt in orders} == {a.key: 1 for a in orders}
    assert len(made) == len(orders)
    ids = dict(made)
    for attempt in orders:
        if attempt.acknowledged:
            assert f'"id":{ids[attempt.key]},' in attempt.answer.decode()

    # One movement per key, and on-hand is the stock plus every adjustment once.
    moved = Counter(reason for (reason,) in await _query(url, "SELECT reason FROM stock_movements"))
    assert {attempt.key: moved[attempt.key] for attempt in adjustments} == {a.key: 1 for a in adjustments}
    [(on_hand,)] = await _query(
        url,
        "SELECT s.on_hand FROM stock_levels s JOIN products p ON p.id = s.product_id"
        " JOIN locations l ON l.id = s.location_id WHERE p.sku = 'APPLE' AND l.code = 'BTQ'",
    )
    assert on_hand == STOCK + sum(attempt.body["delta"] for attempt in adjustments)

    await _check_reserved(url)
    if sqlite:
        assert await _query(url, "PRAGMA integrity_check") == [("ok",)]


async def _check_reserved(url: str) -> None:
    """Reserved stock is exactly what the open orders' lines hold, level by level."""
    statuses = {status for (status,) in await _query(url, "SELECT DISTINCT status FROM orders")}
    assert statuses <= set(OPEN)
    held = await _query(
        url,
        "SELECT l.product_id, o.location_id, SUM(l.quantity - l.backordered) FROM order_lines l"
        " JOIN orders o ON o.id = l.order_id GROUP BY l.product_id, o.location_id",
    )
    levels = await _query(
        url, "SELECT product_id, location_id, reserved FROM stock_levels WHERE reserved > 0"
    )
    reservations = await _query(
        url,
        "SELECT product_id, location_id, SUM(quantity) FROM reservations GROUP BY product_id, location_id",
    )
    expected = {(product, location): int(units) for product, location, units in held if units}
    assert {(p, loc): r for p, loc, r in levels} == expected
    assert {(p, loc): int(q) for p, loc, q in reservations if q} == expected
