"""The invoice pages on both engines: the form (draft or issue at once, replayed once), an order's
panel, the invoice's actions (issue, send, pay, credit), the list with its filters and CSV, what
each customer owes, and the billing settings; each refusal shown beside its field."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.invoicing.models import Invoice, Payment
from backend.orders import service as orders
from tests.api.conftest import Harness, post_form
from tests.api.order_fixtures import actor_for, build_shop, draft

YEAR = date.today().year
FORM = {
    "name": "Atelier Dupont",
    "address_line1": "3 rue Haute",
    "postal_code": "69001",
    "city": "Lyon",
    "country": "FR",
    "line0_description": "Bike repair",
    "line0_quantity": "2",
    "line0_price": "45,00",
    "line0_rate": "20",
    "line1_description": "Inner tube",
    "line1_quantity": "1",
    "line1_price": "8.50",
    "line1_rate": "5.5",
}


@pytest.fixture
async def owner(harness: Harness):
    await build_shop(harness.db)
    async with harness.signed_in(Role.OWNER) as client:
        yield client


async def count(harness: Harness, model: type) -> int:
    async with harness.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_pages_open_for_the_owner(harness: Harness, owner) -> None:
    for url in ("/invoices", "/invoices/new", "/invoices/due", "/settings/billing", "/more"):
        response = await owner.get(url)
        assert response.status_code == 200, (url, response.text[:300])
    assert "/invoices" in (await owner.get("/more")).text


async def test_an_invoice_typed_on_the_phone_is_issued_once(harness: Harness, owner) -> None:
    data = {**FORM, "then": "issue", "_idempotency_key": "k-phone-1"}
    first = await post_form(owner, "/invoices/new", data)
    assert first.status_code == 303, first.text
    again = await post_form(owner, "/invoices/new", data)  # the outbox replaying it
    assert again.headers["location"] == first.headers["location"]
    assert await count(harness, Invoice) == 1
    shown = await owner.get(first.headers["location"])
    assert f"F-{YEAR}-000001" in shown.text
    assert "116.97" in shown.text  # 2 × 45.00 + 20 % VAT, 8.50 + 5.5 % VAT


async def test_a_draft_then_issued_from_its_page(harness: Harness, owner) -> None:
    made = await post_form(owner, "/invoices/new", {**FORM, "then": "draft"})
    invoice_id = int(made.headers["location"].split("/")[2].split("?")[0])
    page = await owner.get(f"/invoices/{invoice_id}")
    assert "Issue the invoice" in page.text
    stale = await post_form(owner, f"/invoices/{invoice_id}/issue", {"version": "9"})
    assert stale.status_code == 409
    issued = await post_form(owner, f"/invoices/{invoice_id}/issue", {"version": "1"})
    assert issued.status_code == 303
    sent = await post_form(owner, f"/invoices/{invoice_id}/send", {})
    assert sent.status_code == 303
    pdf = await owner.get(f"/invoices/{invoice_id}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"


async def test_the_form_shows_each_problem_beside_its_field(harness: Harness, owner) -> None:
    response = await post_form(
        owner, "/invoices/new", {**FORM, "name": " ", "line1_price": "abc", "then": "issue"}
    )
    assert response.status_code == 422
    assert 'id="f-line1_price-error"' in response.text
    blank = await post_form(owner, "/invoices/new", {**FORM, "name": "", "then": "issue"})
    assert blank.status_code == 422
    assert 'id="f-name-error"' in blank.text
    assert await count(harness, Invoice) == 0


async def test_payments_credit_notes_and_the_list(harness: Harness, owner) -> None:
    made = await post_form(owner, "/invoices/new", {**FORM, "then": "issue", "_idempotency_key": "k2"})
    url = made.headers["location"].split("?")[0]
    invoice_id = int(url.rsplit("/", 1)[1])
    refused = await post_form(owner, f"{url}/payments", {"method": "card", "amount": "10", "reference": ""})
    assert refused.status_code == 422
    paid = await post_form(
        owner, f"{url}/payments", {"method": "bank_transfer", "amount": "50", "reference": f"F-{YEAR}-000001"}
    )
    assert paid.status_code == 303
    credited = await post_form(owner, f"{url}/credit", {"reason": "Tube returned", "credit_1": "1"})
    assert credited.status_code == 303, credited.text
    async with harness.db.read() as session:
        invoice = await session.get_one(Invoice, invoice_id)
        assert (invoice.status, invoice.paid_minor) == ("partly_paid", 5000)
    listed = await owner.get("/invoices?status=partly_paid")
    assert f"F-{YEAR}-000001" in listed.text
    notes = await owner.get("/invoices?kind=credit_note")
    assert f"AV-{YEAR}-000001" in notes.text
    assert f"F-{YEAR}-000001" not in notes.text
    csv = await owner.get("/invoices/export.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert f"F-{YEAR}-000001" in csv.text
    assert f"AV-{YEAR}-000001" in csv.text
    bad = await owner.get("/invoices?issued_from=yesterday")
    assert "field__error" in bad.text


async def test_an_order_is_invoiced_and_paid_from_its_page(harness: Harness, owner) -> None:
    staff = actor_for(Role.STAFF, harness.users[Role.STAFF].id)
    placed = await orders.place_order(harness.db, staff, draft())
    page = await owner.get(f"/orders/{placed.id}")
    assert f"/orders/{placed.id}/invoicing" in page.text
    panel = await owner.get(f"/orders/{placed.id}/invoicing", headers={"HX-Request": "true"})
    assert "Invoice this order" in panel.text
    assert "<html" not in panel.text
    paid = await post_form(owner, f"/orders/{placed.id}/payments", {"method": "cash", "amount": "1"})
    assert paid.status_code == 303
    made = await post_form(owner, f"/orders/{placed.id}/invoice", {})
    assert made.status_code == 303
    twice = await post_form(owner, f"/orders/{placed.id}/invoice", {})
    assert twice.status_code == 422
    assert await count(harness, Invoice) == 1
    assert await count(harness, Payment) == 1


async def test_billing_settings_are_checked_and_saved(harness: Harness, owner) -> None:
    base = {"legal_name": "Épicerie Martin SAS", "country": "FR", "payment_terms_days": "30", "version": "0"}
    bad = await post_form(owner, "/settings/billing", {**base, "siren": "123456789"})
    assert bad.status_code == 422
    assert 'id="f-siren-error"' in bad.text
    good = await post_form(
        owner,
        "/settings/billing",
        {
            **base,
            "siren": "732829320",
            "vat_exempt": "on",
            "auto_invoice_at": "dispatch",
            "pay_first_bank_transfer": "on",
        },
    )
    assert good.status_code == 303, good.text
    shown = await owner.get("/settings/billing")
    assert 'value="732829320"' in shown.text
    assert 'value="dispatch" selected' in shown.text


async def test_staff_without_the_settings_right_cannot_change_billing(harness: Harness) -> None:
    async with harness.signed_in(Role.DRIVER) as driver:
        assert (await driver.get("/invoices")).status_code == 403
        assert (await driver.get("/settings/billing")).status_code == 403
