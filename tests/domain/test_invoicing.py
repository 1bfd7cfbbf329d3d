"""Invoicing commands and reads against a real database (both engines): drafts from scratch and
from an order, gapless numbers under concurrency, credit notes, payments, refunds, balances, and
the bad input each must refuse without a trace."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select

from backend.invoicing import payments, service, views
from backend.invoicing.billing import BillingInput, save_billing
from backend.invoicing.errors import InvoiceConflict, InvoiceForbidden, InvoiceRejected
from backend.invoicing.models import Invoice, InvoiceLine, Payment
from backend.invoicing.payments import PaymentInput
from backend.invoicing.service import CreditLine, CustomerInput, DraftInput, InvoiceRef, LineInput
from backend.kernel.numbering import current_value
from backend.kernel.tx import Tx
from backend.orders import service as orders
from backend.orders.rules import Actor
from tests.api.order_fixtures import draft
from tests.domain.conftest import Floor

YEAR = date.today().year
ACME = CustomerInput(
    "ACME SARL", "1 rue de la Paix", "75002", "Paris", is_business=True, vat_number="FR40303265045"
)


def scratch(*lines: LineInput, client_ref: str | None = None) -> DraftInput:
    return DraftInput(
        ACME,
        lines or (LineInput(2, "Consulting", unit_price_minor=10000, tax_rate_centi=2000),),
        client_ref=client_ref,
    )


async def count(floor: Floor, model: type) -> int:
    async with floor.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_draft_from_scratch_totals_per_rate(floor: Floor) -> None:
    made = await floor.db.run(
        service.create_draft,
        floor.owner,
        scratch(
            LineInput(3, "Repair", unit_price_minor=3333, tax_rate_centi=2000),
            LineInput(1, sku="APPLE"),  # catalog: 2.50 incl. 5.5 % → 2.37 excl.
            LineInput(2, "Delivery", unit_price_minor=500, tax_rate_centi=2000),
        ),
    )
    assert (made.status, made.number) == ("draft", None)
    async with floor.db.read() as session:
        view = await views.invoice_view(session, made.id)
    assert view is not None
    assert [(r.rate_centi, r.net_minor, r.tax_minor) for r in view.rates] == [
        (2000, 10999, 2200),
        (550, 237, 13),
    ]
    assert (view.net_minor, view.tax_minor, view.total_minor) == (11236, 2213, 13449)
    assert [line.description for line in view.lines] == ["Repair", "Apple", "Delivery"]
    assert sum(line.net_minor for line in view.lines) == view.net_minor


async def test_replayed_offline_draft_is_a_no_op(floor: Floor) -> None:
    first = await floor.db.run(service.create_draft, floor.owner, scratch(client_ref="phone-1234"))
    again = await floor.db.run(service.create_draft, floor.owner, scratch(client_ref="phone-1234"))
    assert again.id == first.id
    assert again.replayed
    assert not first.replayed
    assert await count(floor, Invoice) == 1
    both = await asyncio.gather(
        *(floor.db.run(service.create_draft, floor.owner, scratch(client_ref="phone-race")) for _ in range(4))
    )
    assert len({made.id for made in both}) == 1
    assert await count(floor, Invoice) == 2


async def test_issue_numbers_freezes_and_is_idempotent(floor: Floor) -> None:
    await floor.db.run(
        save_billing, floor.owner, BillingInput(legal_name="Comptoir SAS", siren="732829320"), None
    )
    made = await floor.db.run(service.create_draft, floor.owner, scratch())
    issued = await floor.db.run(service.issue_invoice, floor.owner, made.id, made.version)
    assert (issued.status, issued.number) == ("issued", f"F-{YEAR}-000001")
    again = await floor.db.run(service.issue_invoice, floor.owner, made.id)
    assert again.number == issued.number
    assert again.replayed
    with pytest.raises(InvoiceConflict) as refused:
        await floor.db.run(service.update_draft, floor.owner, made.id, issued.version, scratch())
    assert refused.value.code == "not_draft"
    with pytest.raises(InvoiceConflict):
        await floor.db.run(service.discard_draft, floor.owner, made.id, issued.version)
    async with floor.db.read() as session:
        view = await views.invoice_view(session, made.id)
        assert await current_value(session, "F", YEAR) == 1
    assert view is not None
    assert view.seller["siren"] == "732829320"
    assert view.due_date is not None
    assert (view.due_date - view.issue_date).days == 30  # type: ignore[operator]
    sent = await floor.db.run(service.mark_sent, floor.owner, made.id)
    assert sent.status == "sent"


async def test_fifty_concurrent_issues_are_gapless(floor: Floor) -> None:
    drafts = [await floor.db.run(service.create_draft, floor.owner, scratch()) for _ in range(50)]
    issued = await asyncio.gather(*(floor.db.run(service.issue_invoice, floor.owner, d.id) for d in drafts))
    numbers = sorted(int(ref.number.rsplit("-", 1)[1]) for ref in issued)  # type: ignore[union-attr]
    assert numbers == list(range(1, 51))
    async with floor.db.read() as session:
        rows = list(
            await session.execute(select(Invoice.number, Invoice.issue_date).order_by(Invoice.number))
        )
    assert [d for _, d in rows] == sorted(d for _, d in rows)  # chronological


async def test_a_failed_issue_leaves_no_hole(floor: Floor) -> None:
    made = await floor.db.run(service.create_draft, floor.owner, scratch())
    with pytest.raises(InvoiceConflict):
        await floor.db.run(service.issue_invoice, floor.owner, made.id, made.version + 5)
    issued = await floor.db.run(service.issue_invoice, floor.owner, made.id, made.version)
    assert issued.number == f"F-{YEAR}-000001"


def _issue_held_draft(
    tx: Tx, actor: Actor, invoice_id: int
) -> tuple[InvoiceRef, tuple[str | None, str, int]]:
    """Issue a draft that the command's session holds (as a command that made or read it before
    issuing does), then read that object again."""
    held = service.load(tx, invoice_id)
    issued = service.issue_invoice(tx, actor, invoice_id)
    return issued, (held.number, held.status, held.version)


async def test_a_draft_held_by_the_issuing_command_reads_issued(floor: Floor) -> None:
    made = await floor.db.run(service.create_draft, floor.owner, scratch())
    issued, held = await floor.db.run(_issue_held_draft, floor.owner, made.id)
    assert held == (f"F-{YEAR}-000001", "issued", made.version + 1)
    assert issued.version == made.version + 1


async def test_invoice_from_order_and_its_balance(floor: Floor) -> None:
    placed = await orders.place_order(floor.db, floor.owner, draft())
    made = await floor.db.run(service.create_from_order, floor.owner, placed.id)
    assert made.total_minor == placed.total_minor  # the tax-inclusive prices the customer was charged
    with pytest.raises(InvoiceRejected) as twice:
        await floor.db.run(service.create_from_order, floor.owner, placed.id)
    assert twice.value.problems == {"order": "order_already_invoiced"}
    # paid in part before the invoice is issued: the payment counts towards it once issued
    await floor.db.run(payments.record_payment, floor.owner, PaymentInput("cash", 100, order_id=placed.id))
    issued = await floor.db.run(service.issue_invoice, floor.owner, made.id)
    assert issued.status == "partly_paid"
    rest = placed.total_minor - 100
    paid = await floor.db.run(
        payments.record_payment,
        floor.owner,
        PaymentInput("card", rest + 50, order_id=placed.id, reference="T-889"),
    )
    assert paid.invoice_id == made.id
    assert paid.balance_minor == -50
    async with floor.db.read() as session:
        balance = await payments.order_balance(session, placed.id)
        view = await views.invoice_view(session, made.id)
    assert balance == payments.OrderBalance(placed.total_minor + 50, -50, "EUR")
    assert view is not None
    assert view.status == "paid"
    assert view.balance_minor == -50


async def test_invoice_for_a_cancelled_order_is_refused(floor: Floor) -> None:
    placed = await orders.place_order(floor.db, floor.owner, draft())
    await orders.cancel_order(floor.db, floor.owner, placed.id, "customer changed their mind")
    with pytest.raises(InvoiceRejected) as refused:
        await floor.db.run(service.create_from_order, floor.owner, placed.id)
    assert refused.value.problems == {"order": "order_not_invoiceable"}
    assert await count(floor, Invoice) == 0


async def test_credit_notes_never_exceed_their_invoice(floor: Floor) -> None:
    made = await floor.db.run(
        service.create_draft,
        floor.owner,
        scratch(
            LineInput(3, "Widget", unit_price_minor=333, tax_rate_centi=2000),
            LineInput(1, "Book", unit_price_minor=1999, tax_rate_centi=550),
        ),
    )
    issued = await floor.db.run(service.issue_invoice, floor.owner, made.id)
    with pytest.raises(InvoiceRejected) as too_many:
        await floor.db.run(service.credit_invoice, floor.owner, made.id, "damaged", (CreditLine(1, 4),))
    assert too_many.value.problems == {"lines[0]": "credit_above_invoice"}
    notes = [
        await floor.db.run(service.credit_invoice, floor.owner, made.id, "damaged", (CreditLine(1, 1),))
        for _ in range(3)
    ]
    assert [note.number for note in notes] == [f"AV-{YEAR}-00000{n}" for n in (1, 2, 3)]
    with pytest.raises(InvoiceRejected):
        await floor.db.run(service.credit_invoice, floor.owner, made.id, "again", (CreditLine(1, 1),))
    rest = await floor.db.run(service.credit_invoice, floor.owner, made.id, "returned")
    assert sum(note.total_minor for note in [*notes, rest]) == issued.total_minor
    async with floor.db.read() as session:
        view = await views.invoice_view(session, made.id)
        note_view = await views.invoice_view(session, rest.id)
    assert view is not None
    assert view.status == "cancelled"
    assert view.balance_minor == 0
    assert note_view is not None
    assert note_view.corrects_number == issued.number
    with pytest.raises(InvoiceRejected):
        await floor.db.run(service.credit_invoice, floor.owner, made.id, "once more")


async def test_refunds_never_above_what_was_paid(floor: Floor) -> None:
    made = await floor.db.run(service.create_draft, floor.owner, scratch())
    await floor.db.run(service.issue_invoice, floor.owner, made.id)
    await floor.db.run(
        payments.record_payment, floor.owner, PaymentInput("bank_transfer", 5000, invoice_id=made.id)
    )
    note = await floor.db.run(service.credit_invoice, floor.owner, made.id, "cancelled", (CreditLine(1, 1),))
    refund = PaymentInput(
        "bank_transfer", 5001, invoice_id=made.id, reason="returned", credit_note_id=note.id
    )
    with pytest.raises(InvoiceRejected) as refused:
        await floor.db.run(payments.record_refund, floor.owner, refund)
    assert refused.value.problems == {"amount_minor": "refund_above_paid"}
    done = await floor.db.run(
        payments.record_refund,
        floor.owner,
        PaymentInput("bank_transfer", 3000, invoice_id=made.id, reason="returned", credit_note_id=note.id),
    )
    # invoiced 24000 − credited 12000 − paid 5000 + refunded 3000
    assert done.balance_minor == 24000 - 12000 - 5000 + 3000
    with pytest.raises(InvoiceRejected):
        await floor.db.run(
            payments.record_refund, floor.owner, PaymentInput("cash", 2001, invoice_id=made.id, reason="more")
        )
    assert await count(floor, Payment) == 2


async def test_bad_input_and_rights(floor: Floor) -> None:
    bad = DraftInput(
        CustomerInput("", vat_number="FR00"),
        (
            LineInput(0, "x", unit_price_minor=1, tax_rate_centi=2000),
            LineInput(1, sku="NOPE"),
            LineInput(1, ""),
        ),
    )
    with pytest.raises(InvoiceRejected) as refused:
        await floor.db.run(service.create_draft, floor.owner, bad)
    assert refused.value.problems == {
        "customer.name": "name_required",
        "customer.vat_number": "bad_vat_number",
    }
    with pytest.raises(InvoiceRejected) as lines:
        await floor.db.run(service.create_draft, floor.owner, DraftInput(ACME, bad.lines))
    assert lines.value.problems == {
        "lines[0]": "quantity_invalid",
        "lines[1]": "unknown_sku",
        "lines[2]": "description_required",
    }
    with pytest.raises(InvoiceForbidden):
        await floor.db.run(service.create_draft, floor.driver, scratch())
    with pytest.raises(InvoiceRejected):  # a card payment names its terminal receipt
        await floor.db.run(payments.record_payment, floor.owner, PaymentInput("card", 100, invoice_id=1))
    assert await count(floor, Invoice) == 0
    assert await count(floor, InvoiceLine) == 0


async def test_vat_exempt_shop_charges_no_tax(floor: Floor) -> None:
    await floor.db.run(save_billing, floor.owner, BillingInput(vat_exempt=True), None)
    made = await floor.db.run(service.create_draft, floor.owner, scratch())
    assert made.total_minor == 20000
