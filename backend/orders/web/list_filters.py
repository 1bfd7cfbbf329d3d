"""The order list's filters as a page sends them, and its CSV export.

Dates are days in the shop's time zone: "from 3 March" starts at midnight there, not in UTC.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from backend.i18n.translation import N_
from backend.kernel.csv_writing import SafeWriter
from backend.kernel.money import minor_digits
from backend.orders import queries
from backend.orders.rules import Channel, FulfilmentMode, OrderStatus, Priority
from backend.orders.views import OrderSummary
from backend.web import inputs

CHOICES = {
    "status": {s.value for s in OrderStatus},
    "channel": {c.value for c in Channel},
    "mode": {m.value for m in FulfilmentMode},
    "priority": {p.value for p in Priority},
}
SHOWN = ("status", "channel", "mode", "priority", "placed_from", "placed_to")  # fields of the form
FILTERS = ("status", "channel", "mode", "priority", "placed_from", "placed_to", "q", "customer")
MESSAGES = {
    "choice": N_("Choose one of the listed values."),
    "date": N_("Use a date such as 2026-03-31."),
    "customer": N_("A customer is given by their number."),
}
EXPORT_PAGE = queries.MAX_PAGE_SIZE
COLUMNS = (
    "number", "placed_at", "status", "channel", "fulfilment_mode", "priority", "customer", "email",
    "phone", "location", "net", "tax", "total", "currency", "payment_method", "external_ref",
)  # fmt: skip


@dataclass
class ListFilters:
    values: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # filter → message id

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def read(params: Mapping[str, str]) -> ListFilters:
    filters = ListFilters({name: str(params.get(name) or "").strip()[:100] for name in FILTERS})
    for name, allowed in CHOICES.items():
        if filters.get(name) and filters.get(name) not in allowed:
            filters.problems[name] = MESSAGES["choice"]
    for name in ("placed_from", "placed_to"):
        if filters.get(name) and _day(filters.get(name)) is None:
            filters.problems[name] = MESSAGES["date"]
    if filters.get("customer") and inputs.parse_id(filters.get("customer")) is None:
        filters.problems["customer"] = MESSAGES["customer"]
    return filters


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _start_of(day: date | None, zone: ZoneInfo) -> datetime | None:
    return datetime.combine(day, time.min, zone) if day else None


def query_of(
    filters: ListFilters, timezone: str, after_id: int | None = None, limit: int = queries.PAGE_SIZE
) -> queries.OrderQuery:
    """The filters as a query; call only when ``filters.problems`` is empty."""
    zone = ZoneInfo(timezone)
    last_day = _day(filters.get("placed_to"))
    return queries.OrderQuery(
        status=filters.get("status") or None,
        channel=filters.get("channel") or None,
        fulfilment_mode=filters.get("mode") or None,
        priority=filters.get("priority") or None,
        customer_id=inputs.parse_id(filters.get("customer")),
        placed_from=_start_of(_day(filters.get("placed_from")), zone),
        placed_before=_start_of(last_day + timedelta(days=1) if last_day else None, zone),
        q=filters.get("q"),
        after_id=after_id,
        limit=limit,
    )


def _amount(minor: int, currency: str) -> str:
    return str(Decimal(minor).scaleb(-minor_digits(currency)))


def _row(order: OrderSummary) -> list[str]:
    return [
        order.number, order.placed_at.isoformat(), order.status, order.channel, order.fulfilment_mode,
        order.priority, order.customer_name, order.email or "", order.phone or "", order.location_code,
        _amount(order.net_minor, order.currency), _amount(order.tax_minor, order.currency),
        _amount(order.total_minor, order.currency), order.currency, order.payment_method,
        order.external_ref or "",
    ]  # fmt: skip


async def export(session: AsyncSession, wanted: queries.OrderQuery) -> AsyncIterator[str]:
    """Every matching order as CSV, newest first, read a page at a time."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(COLUMNS)
    while True:
        page = await queries.list_orders(session, wanted)
        writer.writerows(_row(order) for order in page.items)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if page.next_cursor is None:
            return
        wanted = replace(wanted, after_id=int(page.next_cursor))
