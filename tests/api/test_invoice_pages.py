"""The invoice pages on both engines: the form (draft or issue at once, replayed once), an order's
panel, the invoice's actions (issue, send, pay, credit), the list with its filters and CSV, what
each customer owes, and the billing settings; each refusal shown beside its field."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.invoicing import reactions
from backend.invoicing.models import Invoice, Payment
from backend.kernel.dead_letters import Failed
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


async def _issued_and_paid(owner, key: str) -> str:
    made = await post_form(owner, "/invoices/new", {**FORM, "then": "issue", "_idempotency_key": key})
    url = made.headers["location"].split("?")[0]
    paid = await post_form(owner, f"{url}/payments", {"method": "cash", "amount": "50", "reference": ""})
    assert paid.status_code == 303, paid.text
    return url


async def refunds_of(harness: Harness) -> list[Payment]:
    async with harness.db.read() as session:
        return list(
            await session.scalars(select(Payment).where(Payment.kind == "refund").order_by(Payment.id))
        )


async def test_a_refund_is_recorded_from_the_invoice_page_once(harness: Harness, owner) -> None:
    url = await _issued_and_paid(owner, "k-refund")
    page = await owner.get(url)
    assert 'action="' + url + '/refunds"' in page.text
    assert "50.00" in page.text  # what may be paid back
    refund = {"refund_method": "cash", "refund_amount": "12,50", "refund_reason": "Scratched frame"}
    first = await post_form(owner, f"{url}/refunds", {**refund, "_idempotency_key": "k-r1"})
    assert first.status_code == 303, first.text
    assert first.headers["location"].endswith("?saved=refunded")
    again = await post_form(owner, f"{url}/refunds", {**refund, "_idempotency_key": "k-r1"})  # replayed
    assert again.status_code == 303
    [made] = await refunds_of(harness)
    assert (made.amount_minor, made.method, made.reason) == (1250, "cash", "Scratched frame")
    shown = await owner.get(f"{url}?saved=refunded")
    assert "Refund recorded." in shown.text
    assert "Scratched frame" in shown.text
    async with harness.db.read() as session:
        invoice = await session.get_one(Invoice, made.invoice_id)
        assert invoice.refunded_minor == 1250


async def test_a_refund_above_what_was_paid_is_refused_in_the_form(harness: Harness, owner) -> None:
    url = await _issued_and_paid(owner, "k-refund-over")
    refund = {"refund_method": "card", "refund_amount": "50.01", "refund_reason": "Too much"}
    over = await post_form(owner, f"{url}/refunds", refund)
    assert over.status_code == 422
    assert 'id="f-refund_amount-error"' in over.text
    assert "A refund cannot be more than what was paid." in over.text
    assert 'value="50.01"' in over.text  # what was typed stays
    blank = await post_form(owner, f"{url}/refunds", {**refund, "refund_amount": "abc", "refund_reason": " "})
    assert blank.status_code == 422
    assert 'id="f-refund_amount-error"' in blank.text
    assert 'id="f-refund_reason-error"' in blank.text
    odd = await post_form(owner, f"{url}/refunds", {**refund, "refund_amount": "5", "refund_method": "gold"})
    assert odd.status_code == 422
    assert 'id="f-refund_method-error"' in odd.text
    stranger = await post_form(
        owner, f"{url}/refunds", {**refund, "refund_amount": "5", "refund_credit_note": "99"}
    )
    assert stranger.status_code == 422
    assert "This credit note does not correct this invoice." in stranger.text
    assert await refunds_of(harness) == []
    unknown = await post_form(owner, "/invoices/999999/refunds", refund)
    assert unknown.status_code == 404


async def test_a_credit_note_is_paid_back_from_its_own_page(harness: Harness, owner) -> None:
    url = await _issued_and_paid(owner, "k-refund-note")
    credited = await post_form(owner, f"{url}/credit", {"reason": "Tube returned", "credit_1": "1"})
    assert credited.status_code == 303
    async with harness.db.read() as session:
        note_id = int(await session.scalar(select(Invoice.id).where(Invoice.kind == "credit_note")))
    note_url = f"/invoices/{note_id}"
    on_invoice = await owner.get(url)
    assert f'<option value="{note_id}"' in on_invoice.text  # the credit note to link, from the invoice
    on_note = await owner.get(note_url)
    assert f'name="refund_credit_note" value="{note_id}"' in on_note.text
    refund = {"refund_method": "cash", "refund_amount": "8.97", "refund_reason": "Tube returned"}
    done = await post_form(owner, f"{note_url}/refunds", {**refund, "refund_credit_note": str(note_id)})
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith(note_url)
    [made] = await refunds_of(harness)
    assert (made.credit_note_id, made.amount_minor) == (note_id, 897)
    assert made.invoice_id == int(url.rsplit("/", 1)[1])  # the money was paid on the invoice
    assert "Tube returned" in (await owner.get(note_url)).text


async def test_an_order_is_refunded_from_its_panel(harness: Harness, owner) -> None:
    staff = actor_for(Role.STAFF, harness.users[Role.STAFF].id)
    placed = await orders.place_order(harness.db, staff, draft())
    panel_url = f"/orders/{placed.id}/invoicing"
    assert "Record a refund" not in (await owner.get(panel_url, headers={"HX-Request": "true"})).text
    paid = await post_form(owner, f"/orders/{placed.id}/payments", {"method": "cash", "amount": "3"})
    assert paid.status_code == 303
    panel = await owner.get(panel_url, headers={"HX-Request": "true"})
    assert f'action="/orders/{placed.id}/refunds"' in panel.text
    refund = {"refund_method": "cash", "refund_amount": "3.50", "refund_reason": "Changed their mind"}
    over = await post_form(owner, f"/orders/{placed.id}/refunds", refund)
    assert over.status_code == 422
    assert 'id="f-refund_amount-error"' in over.text
    assert "A refund cannot be more than what was paid." in over.text
    done = await post_form(
        owner, f"/orders/{placed.id}/refunds", {**refund, "refund_amount": "3", "_idempotency_key": "k-o"}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/orders/{placed.id}"
    again = await post_form(
        owner, f"/orders/{placed.id}/refunds", {**refund, "refund_amount": "3", "_idempotency_key": "k-o"}
    )
    assert again.status_code == 303
    [made] = await refunds_of(harness)
    assert (made.order_id, made.amount_minor, made.invoice_id) == (placed.id, 300, None)
    assert (await post_form(owner, "/orders/999999/refunds", refund)).status_code == 404


async def test_the_invoice_page_shows_its_shared_links_and_redraws_its_main_part(
    harness: Harness, owner
) -> None:
    draft_made = await post_form(owner, "/invoices/new", {**FORM, "then": "draft"})
    draft_url = draft_made.headers["location"].split("?")[0]
    assert "/documents/invoice/" not in (await owner.get(draft_url)).text  # not shared before its number
    url = await _issued_and_paid(owner, "k-shared")
    invoice_id = int(url.rsplit("/", 1)[1])
    page = await owner.get(url)
    assert f'hx-get="/documents/invoice/{invoice_id}"' in page.text
    assert f'id="invoicing-live-invoice-{invoice_id}"' in page.text
    part = await owner.get(url, headers={"HX-Request": "true"})
    assert part.text.lstrip().startswith("{#") is False
    assert 'id="invoice-main"' in part.text
    assert "<html" not in part.text
    assert "/documents/invoice/" not in part.text  # the panels are not redrawn with it


async def test_the_owner_sees_the_events_invoicing_set_aside(harness: Harness, owner) -> None:
    assert 'id="set-aside"' not in (await owner.get("/settings/billing")).text
    failed = Failed("invoicing", 41, "delivery.dropped_off", "stop:7", "TypeError('<lots>')", 4)
    assert await harness.db.run(reactions.set_aside, failed)
    assert not await harness.db.run(reactions.set_aside, failed)  # a second process: recorded once
    shown = await owner.get("/settings/billing")
    assert 'id="set-aside"' in shown.text
    assert "stop:7" in shown.text
    assert "TypeError(&#39;&lt;lots&gt;&#39;)" in shown.text
