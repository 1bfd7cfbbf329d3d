"""A tracking page's socket: opened with the tracking token, it hears that its own order changed,
and nothing else: not the shop's words, not other orders."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from backend.auth.rules import Role
from backend.delivery import planning
from backend.delivery import service as delivery
from backend.delivery.rules import Fix
from backend.kernel.db import Database, utcnow
from backend.kernel.events import Event
from backend.orders import ratings, service
from backend.orders.views import PlacedOrder
from tests.api.order_fixtures import LYON, actor_for
from tests.api.test_order_queue_live import OWNER_ID, _in_the_database, _place
from tests.api.tracking_fixtures import at_position, dropped_off, out_for_delivery, packed, placed, staff
from tests.live import LiveServer


def _tracking_socket(server: LiveServer, token: str, origin: str | None = None):
    url = f"ws://127.0.0.1:{server.port}/t/{token}/live"
    return connect(url, origin=origin or server.url, open_timeout=5)


async def _next_message(socket: ClientConnection, within: float = 5.0) -> str:
    async with asyncio.timeout(within):
        return await socket.recv()


async def _heard(socket: ClientConnection, wait: float) -> list[str]:
    """Every message within ``wait`` seconds (expected: none)."""
    heard: list[str] = []
    try:
        async with asyncio.timeout(wait):
            while True:
                heard.append(await socket.recv())
    except TimeoutError:
        return heard


async def _hold(database_url: str, order: PlacedOrder, reason: str) -> None:
    owner = actor_for(Role.OWNER, OWNER_ID)
    await _in_the_database(database_url, lambda db: service.hold_order(db, owner, order.id, reason))


async def test_a_change_of_the_order_reaches_its_tracking_page_and_only_as_a_change(
    live_shop: LiveServer, database_url: str
) -> None:
    mine, other = await _place(database_url), await _place(database_url)
    async with (
        _tracking_socket(live_shop, mine.tracking_token) as page,
        _tracking_socket(live_shop, other.tracking_token) as other_page,
    ):
        # The server's tailer may announce the two placements only now (it reads the log every 0.2 s).
        await asyncio.gather(_heard(page, wait=0.6), _heard(other_page, wait=0.6))
        await _hold(database_url, mine, "Fraud check: same card as a chargeback")

        message = await _next_message(page)
        assert '<span id="tracking-changed" hidden hx-swap-oob="true"' in message
        assert not any(staff_only in message for staff_only in ("Fraud", "toast", "queue-card", "order-live"))
        assert await _heard(other_page, wait=0.7) == []
        assert await _heard(page, wait=0.5) == []  # once: no heartbeat, no second copy


async def test_an_unknown_link_or_another_site_cannot_open_a_tracking_socket(
    live_shop: LiveServer, database_url: str
) -> None:
    order = await _place(database_url)
    with pytest.raises(InvalidStatus):
        async with _tracking_socket(live_shop, "not-a-token"):
            pass
    with pytest.raises(InvalidStatus):
        async with _tracking_socket(live_shop, order.tracking_token, origin="https://evil.example"):
            pass


CHANGED = re.compile(r'id="tracking-changed" hidden hx-swap-oob="true" data-event="(\d+)"')
DRIVER_ID = 3  # the seeded team: owner 1, staff 2, driver 3, customer 4 (tests/people.py)
SEEDED = {Role.OWNER: OWNER_ID, Role.DRIVER: DRIVER_ID, Role.CUSTOMER: 4}


def _shop_of(db: Database, proof_dir: Path) -> Any:
    """What the tracking fixtures read of a harness, for the server's database seen from here."""
    people = {role: SimpleNamespace(id=user_id) for role, user_id in SEEDED.items()}
    return SimpleNamespace(db=db, users=people, settings=SimpleNamespace(delivery_proof_dir=proof_dir))


async def _own_run(shop: Any, order: PlacedOrder) -> int:
    """A started run of the owner's own, standing in as a second driver."""
    await packed(shop, order)
    owner = staff(shop)
    run = await planning.plan_run(shop.db, owner, OWNER_ID, date.today(), [order.id], starts_at=utcnow())
    return (await shop.db.run(delivery.start_run, owner, run.id, version=run.version)).id


async def _last_event_of(db: Database, subject: str) -> int:
    async with db.read() as session:
        found = await session.scalar(select(func.max(Event.id)).where(Event.subject == subject))
    assert found is not None
    return found


async def _heard_until(socket: ClientConnection, event_id: int) -> set[int]:
    """The events announced to the page up to ``event_id``, in the log's order: what comes before
    it and was not announced never will be."""
    heard: set[int] = set()
    async with asyncio.timeout(5):
        while event_id not in heard:
            heard.update(int(found) for found in CHANGED.findall(await socket.recv()))
    return heard


async def test_a_page_opened_before_its_run_hears_the_driver_of_its_run_only_while_it_waits(
    live_shop: LiveServer, database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    shop = _shop_of(db, tmp_path / "proofs")
    try:
        mine = await placed(shop)
        neighbour = await placed(shop, address=LYON)  # a later stop of the same run
        other = await placed(shop)  # on another run
        async with _tracking_socket(live_shop, mine.tracking_token) as page:
            run_id = await out_for_delivery(shop, mine, neighbour)  # no run when the page opened
            other_run = await _own_run(shop, other)
            await _heard_until(page, await _last_event_of(db, f"order:{mine.id}"))  # out for delivery

            await db.run(delivery.record_position, staff(shop), other_run, Fix(48.85, 2.34, 15))
            elsewhere = await _last_event_of(db, f"run:{other_run}")
            await at_position(shop, run_id, 48.86, 2.35)
            heard = await _heard_until(page, await _last_event_of(db, f"run:{run_id}"))
            assert elsewhere not in heard  # another order's driver

            await dropped_off(shop, run_id, mine)
            await _heard_until(page, await _last_event_of(db, f"order:{mine.id}"))  # delivered
            await at_position(shop, run_id, 48.0, 3.0)  # on to the neighbour's door
            onwards = await _last_event_of(db, f"run:{run_id}")
            await db.run(ratings.rate_order, ratings.RatingInput(mine.id, 5, "", 0))
            heard = await _heard_until(page, await _last_event_of(db, f"order:{mine.id}"))
            assert onwards not in heard
    finally:
        await db.dispose()
