"""Orders stay consistent with the stock under any sequence of API calls (Hypothesis stateful).

Steps go through the real app (in process, with its middleware, so Idempotency-Key is honoured):
place (with a key drawn from a small pool, so keys repeat), accept, edit, hold, cancel, each with
or without the version the machine last saw. After every step: stock is never negative and never
over-reserved; what each level holds is exactly the sum of the lines of the orders that hold stock
there; each idempotency key produced at most one order; and every status an order went through
follows the transition table.
"""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from typing import Any

import httpx
import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from backend.app import create_app
from backend.auth.models import User
from backend.auth.service import create_api_token
from backend.inventory.models import Reservation, StockLevel
from backend.orders.models import Order, OrderLine
from backend.orders.rules import HOLDING_STOCK, TRANSITIONS, OrderStatus
from tests.api.conftest import PEOPLE, test_settings
from tests.api.order_fixtures import build_shop
from tests.domain.test_stock_invariants import _wipe
from tests.writing import add

pytestmark = pytest.mark.slow

SKUS = st.sampled_from(("APPLE", "PEAR", "PLUM"))
KEYS = st.sampled_from([f"key-{n}" for n in range(6)])
PICK = st.integers(0, 99)
VERSIONED = st.booleans()
STOCK = {"APPLE": (6, 2), "PEAR": (4, 0), "PLUM": (3, 3)}


class OrderMachine(RuleBasedStateMachine):
    database_url = ""
    tmp_path = None

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.app = create_app(test_settings(self.tmp_path, self.database_url))
        self.stop = asyncio.Event()
        try:
            self.run(self._start())
        except BaseException:
            self.teardown()
            raise
        self.versions: dict[int, int] = {}  # order id → version last seen
        self.statuses: dict[int, OrderStatus] = {}
        self.by_key: dict[str, set[int]] = {}
        self.bodies: dict[str, dict[str, Any]] = {}

    def run(self, awaitable: Any) -> Any:
        return self.runner.run(awaitable)

    async def _serve(self, started: asyncio.Event) -> None:
        # The lifespan must begin and end in one task; each runner.run() is a task of its own.
        async with self.app.lifespan():
            started.set()
            await self.stop.wait()

    async def _start(self) -> None:
        started = asyncio.Event()
        self.server = asyncio.get_running_loop().create_task(self._serve(started))
        await asyncio.wait_for(started.wait(), 30)
        db = self.app.state.db
        await _wipe(db)
        email, name = next(iter(PEOPLE.values()))
        await db.run(add, User(email=email, name=name, role="owner", password_hash="x"))
        await build_shop(db, STOCK)
        token = await create_api_token(db, email, "hypothesis")
        transport = httpx.ASGITransport(app=self.app)
        self.client = httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"}
        )

    def teardown(self) -> None:
        async def stop() -> None:
            if hasattr(self, "client"):
                await self.client.aclose()
            self.stop.set()
            if hasattr(self, "server"):
                await self.server

        try:
            self.run(stop())
        finally:
            self.runner.close()

    def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.run(self.client.request(method, url, **kwargs))

    def pick(self, n: int) -> int:
        ids = sorted(self.statuses)
        return ids[n % len(ids)]

    def moved(self, order_id: int, response: httpx.Response, wanted: OrderStatus) -> None:
        before = self.statuses[order_id]
        if response.status_code == 200:
            assert (before, wanted) in TRANSITIONS, f"{before} → {wanted} happened"
            self.statuses[order_id] = OrderStatus(response.json()["status"])
            self.versions[order_id] = response.json()["version"]
        else:
            assert response.status_code == 409, response.text
            self.versions[order_id] = response.json()["current_version"]

    # -- rules -----------------------------------------------------------------------------------

    @rule(
        key=KEYS,
        sku=SKUS,
        quantity=st.integers(1, 4),
        second=SKUS,
        mode=st.sampled_from(("delivery", "pickup")),
    )
    def place(self, key: str, sku: str, quantity: int, second: str, mode: str) -> None:
        body = self.bodies.setdefault(
            key,
            {
                "customer": {"name": "Hypo", "email": f"{key}@example.com"},
                "lines": [{"sku": sku, "quantity": quantity}, {"sku": second, "quantity": 1}],
                "fulfilment_mode": mode,
                "payment_method": "card",
                "channel": "staff",
                **(
                    {"address": {"line1": "1 rue", "city": "Paris", "postal_code": "75001", "country": "FR"}}
                    if mode == "delivery"
                    else {"location": "BTQ"}
                ),
            },
        )
        response = self.call("POST", "/api/v1/orders", json=body, headers={"Idempotency-Key": key})
        assert response.status_code in (201, 409), response.text
        if response.status_code == 201:
            order = response.json()
            self.by_key.setdefault(key, set()).add(order["id"])
            self.statuses.setdefault(order["id"], OrderStatus(order["status"]))
            self.versions.setdefault(order["id"], order["version"])
        else:
            assert response.json()["short_lines"]

    @precondition(lambda self: self.statuses)
    @rule(pick=PICK, versioned=VERSIONED)
    def accept(self, pick: int, versioned: bool) -> None:
        order_id = self.pick(pick)
        body = {"version": self.versions[order_id]} if versioned else {}
        self.moved(
            order_id, self.call("POST", f"/api/v1/orders/{order_id}/accept", json=body), OrderStatus.ACCEPTED
        )

    @precondition(lambda self: self.statuses)
    @rule(pick=PICK, versioned=VERSIONED)
    def hold(self, pick: int, versioned: bool) -> None:
        order_id = self.pick(pick)
        body = {"reason": "look again", **({"version": self.versions[order_id]} if versioned else {})}
        self.moved(
            order_id, self.call("POST", f"/api/v1/orders/{order_id}/hold", json=body), OrderStatus.ON_HOLD
        )

    @precondition(lambda self: self.statuses)
    @rule(pick=PICK, versioned=VERSIONED)
    def cancel(self, pick: int, versioned: bool) -> None:
        order_id = self.pick(pick)
        body = {"reason": "called off", **({"version": self.versions[order_id]} if versioned else {})}
        self.moved(
            order_id, self.call("POST", f"/api/v1/orders/{order_id}/cancel", json=body), OrderStatus.CANCELLED
        )

    @precondition(lambda self: self.statuses)
    @rule(pick=PICK, sku=SKUS, quantity=st.integers(1, 5), stale=st.booleans())
    def edit(self, pick: int, sku: str, quantity: int, stale: bool) -> None:
        order_id = self.pick(pick)
        version = self.versions[order_id] + (1 if stale else 0)  # a version not yet reached is stale too
        body = {"version": version, "lines": [{"sku": sku, "quantity": quantity}]}
        response = self.call("PATCH", f"/api/v1/orders/{order_id}", json=body)
        if response.status_code == 200:
            assert not stale
            assert self.statuses[order_id] in {OrderStatus.PLACED, OrderStatus.ON_HOLD, OrderStatus.ACCEPTED}
            self.versions[order_id] = response.json()["version"]
        else:
            assert response.status_code in (409, 422), response.text

    # -- invariants ------------------------------------------------------------------------------

    async def _state(self) -> tuple[list[StockLevel], Tally, Tally, dict[int, str]]:
        async with self.app.state.db.read() as session:
            levels = list(await session.scalars(select(StockLevel)))
            held: Tally = Tally()
            for row in await session.scalars(select(Reservation)):
                held[(row.product_id, row.location_id)] += row.quantity
            owed: Tally = Tally()
            rows = await session.execute(
                select(OrderLine.product_id, Order.location_id, OrderLine.quantity, Order.status).join(
                    Order, Order.id == OrderLine.order_id
                )
            )
            for product_id, location_id, quantity, status in rows:
                if status in HOLDING_STOCK:
                    owed[(product_id, location_id)] += quantity
            statuses = dict((await session.execute(select(Order.id, Order.status))).all())
        return levels, held, owed, statuses

    @invariant()
    def orders_and_stock_agree(self) -> None:
        levels, held, owed, statuses = self.run(self._state())
        for level in levels:
            key = (level.product_id, level.location_id)
            assert level.on_hand >= 0
            assert 0 <= level.reserved <= level.on_hand
            assert level.reserved == held[key] == owed[key], (key, level.reserved, held[key], owed[key])
        assert {order_id: OrderStatus(status) for order_id, status in statuses.items()} == self.statuses
        assert all(len(ids) <= 1 for ids in self.by_key.values()), self.by_key
        assert len(statuses) == sum(len(ids) for ids in self.by_key.values())


def test_orders_and_stock_stay_consistent_under_random_api_calls(database_url: str, tmp_path) -> None:
    machine = type("OrderMachine", (OrderMachine,), {"database_url": database_url, "tmp_path": tmp_path})
    settings_ = settings(
        max_examples=10,
        stateful_step_count=15,
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )
    run_state_machine_as_test(machine, settings=settings_)
