"""Demo delivery runs of today: one finished by the second driver (two drop-offs, one of them
paid in cash, a failure, the cash handed back and counted), one under way for the first driver
(a stop delivered, a last position), and two orders still ready for the owner to plan. The orders
carry the external reference ``DEMO-Rnn``; running the demo again adds nothing once a run exists."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backend.auth.models import User
from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.delivery import planning, service
from backend.delivery.models import DeliveryRun
from backend.delivery.rules import DropOff, Fix
from backend.delivery.views import RunView
from backend.demo.orders import STREETS, _place, _skus
from backend.kernel.db import Database, utcnow
from backend.orders import service as orders
from backend.orders.drafts import Address, CustomerDetails, DeliverySlot, OrderDraft, WantedLine
from backend.orders.rules import Actor, OrderStatus

ZONE = ZoneInfo("Europe/Paris")
RECIPIENTS = ("Léa Bernard", "Hugo Dubois", "Chloé Laurent", "Louis Simon", "Inès Michel", "Jules Garcia",
              "Manon Roux", "Adam Fournier", "Zoé Bernard")  # fmt: skip
CASH = {1, 5}  # the orders paid in cash on delivery


async def _packed_orders(db: Database, owner: Actor, day: datetime) -> list[int]:
    skus = await _skus(db)
    ids = []
    for n, name in enumerate(RECIPIENTS):
        street, postal, lat, lon = STREETS[n % len(STREETS)]
        slot = None
        if n in {4, 6}:  # two customers chose an afternoon slot
            slot = DeliverySlot(day.replace(hour=14), day.replace(hour=17))
        draft = OrderDraft(
            customer=CustomerDetails(name, f"run{n}@exemple.test", f"+3361000{n:04d}"),
            lines=[WantedLine(skus[(n * 3 + k) % len(skus)], 1) for k in range(2)],
            fulfilment_mode="delivery",
            payment_method="cash_on_delivery" if n in CASH else "card",
            channel="storefront",
            address=Address(
                street, "Paris" if postal.startswith("75") else "Montreuil", postal, "FR", lat, lon
            ),
            external_ref=f"DEMO-R{n:02d}",
            slot=slot,
        )
        order = await _place(db, owner, draft)
        for status in (OrderStatus.ACCEPTED, OrderStatus.PICKING, OrderStatus.PACKED):
            await orders.transition_order(db, owner, order.id, status)
        ids.append(order.id)
    return ids


def _drop(run: RunView, sequence: int, recipient: str) -> tuple[int, DropOff]:
    stop = run.stops[sequence]
    cash = stop.cash_to_collect or None
    at = utcnow()
    point = (stop.latitude or 48.86, stop.longitude or 2.38)
    return stop.id, DropOff(recipient, point[0], point[1], 12, cash, run.cash.currency, at)


async def _drive(db: Database, driver: Actor, run: RunView, *, delivered: int, failed: int = 0) -> RunView:
    """The run started, then its first stops delivered or failed; the run as started."""
    run = await db.run(service.start_run, driver, run.id)
    for sequence in range(delivered):
        stop_id, drop = _drop(run, sequence, run.stops[sequence].orders[0].customer_name)
        await db.run(service.confirm_drop_off, driver, run.id, stop_id, drop)
    for sequence in range(delivered, delivered + failed):
        await db.run(service.fail_stop, driver, run.id, run.stops[sequence].id, "nobody_home")
    return run


async def ensure_runs(db: Database, owner_id: int) -> int:
    """Today's demo runs, if no run exists yet; returns how many runs were made."""
    async with db.read() as session:
        if await session.scalar(select(DeliveryRun.id).limit(1)) is not None:
            return 0
        people = dict((await session.execute(select(User.email, User.id))).all())
    owner = Actor(owner_id, ROLE_PERMISSIONS[Role.OWNER])
    first = Actor(people["driver@demo.test"], ROLE_PERMISSIONS[Role.DRIVER])
    second = Actor(people["driver2@demo.test"], ROLE_PERMISSIONS[Role.DRIVER])
    today = utcnow().astimezone(ZONE).date()
    morning = datetime.combine(today, time(8, 0), tzinfo=ZONE)
    ids = await _packed_orders(db, owner, morning)
    done = await planning.plan_run(db, owner, second.user_id or 0, today, ids[:3], starts_at=morning)
    done = await _drive(db, second, done, delivered=len(done.stops) - 1, failed=1)
    done = await db.run(service.finish_run, second, done.id)
    done = await db.run(service.declare_cash, second, done.id, done.cash.collected, done.cash.currency)
    await db.run(service.confirm_cash, owner, done.id, done.cash.collected, currency=done.cash.currency)
    later = morning + timedelta(hours=2)
    under_way = await planning.plan_run(db, owner, first.user_id or 0, today, ids[3:7], starts_at=later)
    under_way = await _drive(db, first, under_way, delivered=1)
    stop = under_way.stops[1]
    fix = Fix((stop.latitude or 48.86) - 0.002, (stop.longitude or 2.38) - 0.002, 15)
    await db.run(service.record_position, first, under_way.id, fix)
    return 2  # ids[7:] stay ready for the owner to plan
