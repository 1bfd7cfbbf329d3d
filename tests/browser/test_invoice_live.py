"""An invoice's page and its order's invoicing panel follow the money live: a payment recorded on
another device moves the balance on both without a reload; a refund typed on the invoice's page is
listed there; the invoice's own page shows its shared link opened by the customer, live; and a
redraw keeps a form being typed in as it is, caret included."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.invoicing import service
from backend.invoicing.payments import PaymentInput, record_payment
from backend.orders.rules import Actor
from tests.browser.conftest import ContextFactory, first_page, sign_in
from tests.browser.test_document_opens_live import PHONE
from tests.browser.test_order_queue import _place, database
from tests.conftest import _run

pytestmark = pytest.mark.browser

SHOP = Actor(None, ROLE_PERMISSIONS[Role.OWNER])


async def _issued_invoice(data_dir: Path) -> tuple[int, int]:
    """A new order's invoice, issued: (order id, invoice id)."""
    placed = await _place(data_dir)
    db = database(data_dir)
    try:
        made = await db.run(service.create_from_order, SHOP, placed.id, f"live-{placed.id}")
        await db.run(service.issue_invoice, SHOP, made.id)
        return placed.id, made.id
    finally:
        await db.dispose()


async def _pay(data_dir: Path, order_id: int, amount_minor: int) -> None:
    db = database(data_dir)
    try:
        await db.run(record_payment, SHOP, PaymentInput("cash", amount_minor, order_id=order_id))
    finally:
        await db.dispose()


def test_the_invoice_and_its_order_follow_payments_live(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    order_id, invoice_id = _run(_issued_invoice(server_data_dir))
    context = new_context()
    invoice = first_page(context)
    errors: list[str] = []
    invoice.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(invoice, "owner@demo.test")
    invoice.goto(f"/invoices/{invoice_id}")
    order = context.new_page()
    order.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    order.goto(f"/orders/{order_id}")
    paid_on_order = order.locator("#order-invoicing-body [data-paid]")
    expect(paid_on_order).to_contain_text("0.00")
    expect(invoice.locator("[data-status]").first).to_have_attribute("data-status", "issued")
    for each in (invoice, order):
        expect(each.locator("#connection")).to_have_attribute("data-state", "online")

    _run(_pay(server_data_dir, order_id, 150))  # cash taken on another phone

    expect(paid_on_order).to_contain_text("1.50", timeout=5000)
    expect(invoice.locator("[data-status]").first).to_have_attribute(
        "data-status", "partly_paid", timeout=5000
    )

    # A refund typed on the invoice's page: refused above what was paid, then recorded.
    form = invoice.locator("#invoice-refund form")
    form.locator("[name=refund_amount]").fill("2")
    form.locator("[name=refund_reason]").fill("Dented tin")
    form.get_by_role("button", name="Record the refund").click()
    expect(invoice.locator("#f-refund_amount-error")).to_contain_text("more than what was paid")
    form = invoice.locator("#invoice-refund form")
    form.locator("[name=refund_amount]").fill("0.50")
    form.get_by_role("button", name="Record the refund").click()
    expect(invoice.locator("#invoice-payments")).to_contain_text("Dented tin")
    expect(paid_on_order).to_contain_text("1.00", timeout=5000)  # the order's page heard it too
    # The refused refund's answer (422) is the only error the browser reports.
    assert [error for error in errors if "status of 422" not in error] == []


def test_the_invoice_page_shows_its_link_opened_by_the_customer_live(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    _, invoice_id = _run(_issued_invoice(server_data_dir))
    owner = first_page(new_context())
    errors: list[str] = []
    owner.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(owner, "owner@demo.test")
    owner.goto(f"/invoices/{invoice_id}")
    panel = owner.locator(f"section#documents-invoice-{invoice_id}")
    expect(panel).to_be_visible()
    expect(owner.locator("#connection")).to_have_attribute("data-state", "online")
    panel.locator("input[name=recipient]").fill("the customer")
    panel.get_by_role("button", name="Make a link").click()
    link = owner.locator(f"#documents-invoice-{invoice_id}-link")
    expect(link).to_be_visible()
    url = link.input_value()
    newest = owner.locator(f"section#documents-invoice-{invoice_id} [data-link]").last
    expect(newest).to_contain_text("Not opened yet")

    customer = new_context()  # the customer's phone, nobody signed in
    opened = customer.request.get(url, headers={"User-Agent": PHONE}, timeout=60_000)
    assert opened.status == 200

    expect(newest).to_contain_text("Opened by the customer 1 time, last", timeout=5000)
    assert errors == []


def test_a_live_redraw_keeps_what_is_being_typed(new_context: ContextFactory, server_data_dir: Path) -> None:
    order_id, invoice_id = _run(_issued_invoice(server_data_dir))
    _run(_pay(server_data_dir, order_id, 100))  # something paid: the refund form is there
    invoice = first_page(new_context())
    sign_in(invoice, "owner@demo.test")
    invoice.goto(f"/invoices/{invoice_id}")
    expect(invoice.locator("#connection")).to_have_attribute("data-state", "online")
    form = invoice.locator("#invoice-refund form")
    form.locator("[name=refund_amount]").fill("0.75")
    reason = form.locator("[name=refund_reason]")
    reason.fill("Bent lid")
    reason.press("ArrowLeft")  # the caret one letter back, as while correcting a word
    status = invoice.locator("[data-status]").first
    expect(status).to_have_attribute("data-status", "partly_paid")

    _run(_pay(server_data_dir, order_id, 50))  # more cash taken on another phone: the page redraws

    expect(invoice.locator("#invoice-payments")).to_contain_text("0.50", timeout=5000)
    form = invoice.locator("#invoice-refund form")
    expect(form.locator("[name=refund_amount]")).to_have_value("0.75")
    expect(form.locator("[name=refund_reason]")).to_have_value("Bent lid")
    expect(form.locator("[name=refund_reason]")).to_be_focused()
    assert invoice.evaluate("document.activeElement.selectionStart") == len("Bent lid") - 1
    invoice.keyboard.type("s")  # typing goes on where it was
    expect(form.locator("[name=refund_reason]")).to_have_value("Bent lisd")
