"""Invoicing's changes reach open pages: a payment recorded elsewhere (another phone, Stripe's
webhook, a driver's cash) tells the order's page to redraw its invoicing panel, an issue or a
refund tells the invoice's page to redraw itself; people who see neither orders nor the team's
activity hear none of it."""

from __future__ import annotations

from backend.auth.rules import Role
from backend.invoicing import service
from backend.invoicing.payments import PaymentInput, record_payment, record_refund
from tests.api.order_fixtures import actor_for
from tests.api.test_live_updates import _cookie, _quiet, _socket
from tests.api.test_order_queue_live import (
    OWNER_ID,
    _in_the_database,
    _latest_event_id,
    _next_message_with,
    _place,
)
from tests.live import LiveServer


async def test_payments_issues_and_refunds_redraw_the_pages_that_show_them(
    live_shop: LiveServer, database_url: str
) -> None:
    owner_cookie, driver_cookie = await _cookie(live_shop, Role.OWNER), await _cookie(live_shop, Role.DRIVER)
    placed = await _place(database_url)
    seen = await _in_the_database(database_url, _latest_event_id)
    owner = actor_for(Role.OWNER, OWNER_ID)
    async with (
        await _socket(live_shop, owner_cookie, since=seen) as team,
        await _socket(live_shop, driver_cookie, since=seen) as driver,
    ):
        cash = PaymentInput("cash", 500, order_id=placed.id)
        await _in_the_database(database_url, lambda db: db.run(record_payment, owner, cash))
        panel = f'id="invoicing-live-order-{placed.id}"'
        told = await _next_message_with(team, panel)
        assert f'hx-get="/orders/{placed.id}/invoicing"' in told
        assert 'hx-select-oob="#order-invoicing-body"' in told

        made = await _in_the_database(
            database_url, lambda db: db.run(service.create_from_order, owner, placed.id, "live-1")
        )
        await _in_the_database(database_url, lambda db: db.run(service.issue_invoice, owner, made.id))
        page = f'id="invoicing-live-invoice-{made.id}"'
        issued = await _next_message_with(team, "issued invoice")
        assert page in issued
        assert f'hx-get="/invoices/{made.id}"' in issued
        assert panel in issued  # the order's panel lists its invoice's new number

        back = PaymentInput("card", 200, invoice_id=made.id, reason="Dented tin")
        await _in_the_database(database_url, lambda db: db.run(record_refund, owner, back))
        refunded = await _next_message_with(team, "recorded a refund")
        assert page in refunded
        assert panel in refunded
        assert await _quiet(driver, wait=0.7) == []
