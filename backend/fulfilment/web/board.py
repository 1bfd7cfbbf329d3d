"""The fulfilment board, the team's home for this work: counts and cards per stage (to pick,
picking, packed, ready for pickup, shipped today), orders waiting in their stage longer than the
wait alert setting standing out, redrawn live as orders move (``live.py``)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from litestar import get
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.fulfilment import board
from backend.fulfilment.board import Card
from backend.fulfilment.rules import Stage
from backend.fulfilment.web.forms import AnyRequest
from backend.i18n.translation import N_, current_timezone
from backend.kernel.db import utcnow
from backend.orders import labels
from backend.web.dependencies import AppDb, AppSettings
from backend.web.responses import page

view_orders = requires(Permission.ORDERS_VIEW)

STAGE_LABELS = {
    Stage.TO_PICK: N_("To pick"),
    Stage.PICKING: N_("Picking"),
    Stage.PACKED: N_("Packed"),
    Stage.READY_FOR_PICKUP: N_("Ready for pickup"),
    Stage.SHIPPED_TODAY: N_("Shipped today"),
}


def start_of_today(now: datetime, timezone: str) -> datetime:
    """When today began in the shop's time zone: "shipped today" counts from then."""
    zone = ZoneInfo(timezone)
    return datetime.combine(now.astimezone(zone).date(), time.min, zone)


def is_late(card: Card, stage: Stage, now: datetime, alert_minutes: int) -> bool:
    """An open order that has waited in its stage longer than the wait alert setting."""
    return stage != Stage.SHIPPED_TODAY and now - card.updated_at >= timedelta(minutes=alert_minutes)


@get("/fulfilment", guards=[view_orders])
async def board_page(request: AnyRequest, db: AppDb, settings: AppSettings) -> Template:
    now = utcnow()
    async with db.read() as session:
        found = await board.board(session, start_of_today(now, current_timezone.get()))
    context = {
        "board": found,
        "stages": list(Stage),
        "stage_labels": STAGE_LABELS,
        "now": now,
        "alert_minutes": settings.order_wait_alert_minutes,
        "is_late": is_late,
        "labels": labels,
    }
    return page(request, "fulfilment/board.html", context)


ROUTES = [board_page]
