"""Demo invoices and payments: the shop's legal details, then invoices in every status (draft,
issued, sent, partly paid, paid, overdue, cancelled by a credit note) and payments by every method,
made through the invoicing commands like real ones. Their dates are then moved back in number
order, so the numbers stay chronological and some fall overdue. Each draft carries the client id
``demo-invoice-n``: running the demo again skips what is there."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.invoicing import billing, payments, service
from backend.invoicing.models import Invoice
from backend.invoicing.payments import PaymentInput
from backend.invoicing.service import CreditLine, CustomerInput, DraftInput, LineInput
from backend.kernel.db import Database, utcnow
from backend.kernel.tx import Tx
from backend.orders.models import Order
from backend.orders.rules import Actor

SELLER = billing.BillingInput(
    legal_name="Épicerie du Comptoir SAS",
    address_line1="14 rue de la Roquette",
    postal_code="75011",
    city="Paris",
    siren="732829320",
    siret="73282932000074",
    vat_number="FR44732829320",
    legal_form="SAS",
    capital_minor=1_000_000,
    payment_terms_days=30,
    iban="FR7630006000011234567890189",
    pay_before_dispatch=("bank_transfer",),
)
BISTRO = CustomerInput(
    "Bistrot Voltaire SARL",
    "21 boulevard Voltaire",
    "75011",
    "Paris",
    is_business=True,
    vat_number="FR40303265045",
)
ATELIER = CustomerInput("Atelier Charonne", "40 rue de Charonne", "75011", "Paris")
CATERING = (
    LineInput(3, "Plateau de fromages (10 pers.)", unit_price_minor=4500, tax_rate_centi=550),
    LineInput(2, "Livraison et mise en place", unit_price_minor=3000, tax_rate_centi=2000),
)
# (customer, lines, what happens after the draft): the invoices typed from scratch.
SCRATCH = (
    (BISTRO, CATERING, "draft"),
    (ATELIER, CATERING[:1], "issued"),
    (BISTRO, CATERING, "sent"),
    (BISTRO, CATERING, "partly_paid"),
    (ATELIER, CATERING, "credited"),
    (BISTRO, CATERING, "cancelled"),
    (BISTRO, CATERING, "overpaid"),
)
# An order's payment method → (method recorded, its reference).
REFERENCES = {
    "card": ("card", "TPE-{n:06d}"),
    "paypal": ("paypal", "PAYID-DEMO{n:05d}"),
    "bank_transfer": ("bank_transfer", ""),
    "cash": ("cash", ""),
    "cash_on_delivery": ("cash_on_delivery", ""),
}
ORDER_INVOICES = 10
SPACING = timedelta(days=5)


async def ensure_invoices(db: Database, owner_id: int) -> int:
    """Make the demo's invoices unless they are there; returns how many invoices were made."""
    owner = Actor(owner_id, ROLE_PERMISSIONS[Role.OWNER])
    async with db.read() as session:
        if await session.scalar(select(Invoice.id).where(Invoice.client_ref.like("demo-%")).limit(1)):
            return 0
        finished = list(
            await session.execute(
                select(Order.id, Order.payment_method, Order.total_minor)
                .where(Order.status.in_(("delivered", "picked_up")))
                .order_by(Order.placed_at)
                .limit(ORDER_INVOICES)
            )
        )
    await db.run(billing.save_billing, owner, SELLER, None)
    made = 0
    for n, order in enumerate(finished):
        made += await _order_invoice(db, owner, n, tuple(order))
    for n, (customer, lines, fate) in enumerate(SCRATCH, start=len(finished)):
        draft = await db.run(
            service.create_draft, owner, DraftInput(customer, lines, client_ref=f"demo-invoice-{n}")
        )
        await _become(db, owner, draft, fate)
        made += 1
    await db.run(_backdate)
    return made


async def _order_invoice(db: Database, owner: Actor, n: int, order: tuple[int, str, int]) -> int:
    order_id, method, total = order
    made = await db.run(service.create_from_order, owner, order_id, f"demo-invoice-{n}")
    issued = await db.run(service.issue_invoice, owner, made.id)
    paid_method, reference = REFERENCES[method]
    amount = total if n % 4 else total // 2  # every fourth one only half paid so far
    if n % 5 != 4:  # and every fifth not at all: it falls overdue
        reference = reference.format(n=n) if reference else (issued.number or "")
        await db.run(
            payments.record_payment,
            owner,
            PaymentInput(paid_method, amount, invoice_id=made.id, reference=reference),
        )
    return 1


async def _become(db: Database, owner: Actor, draft: service.InvoiceRef, fate: str) -> None:
    if fate == "draft":
        return
    issued = await db.run(service.issue_invoice, owner, draft.id)
    paying = {
        "partly_paid": issued.total_minor // 3,
        "overpaid": issued.total_minor + 500,
        "credited": issued.total_minor,
    }
    if fate == "sent":
        await db.run(service.mark_sent, owner, draft.id)
    if fate in paying:
        wanted = PaymentInput(
            "bank_transfer", paying[fate], invoice_id=draft.id, reference=issued.number or ""
        )
        await db.run(payments.record_payment, owner, wanted)
    if fate == "credited":  # one platter came back: a credit note, then its refund
        note = await db.run(service.credit_invoice, owner, draft.id, "Plateau abîmé", (CreditLine(1, 1),))
        refund = PaymentInput(
            "bank_transfer",
            note.total_minor,
            invoice_id=draft.id,
            reason="Plateau abîmé",
            credit_note_id=note.id,
        )
        await db.run(payments.record_refund, owner, refund)
    if fate == "cancelled":
        await db.run(service.credit_invoice, owner, draft.id, "Commande annulée par le client")


def _backdate(tx: Tx) -> None:
    """Issue dates spaced back from today in number order (so still chronological), due dates after them."""
    issued = list(tx.session.scalars(select(Invoice).where(Invoice.number.is_not(None)).order_by(Invoice.id)))
    today = utcnow().date()
    for n, invoice in enumerate(issued):
        day = today - SPACING * (len(issued) - 1 - n) // 2
        terms = (
            (invoice.due_date - invoice.issue_date)
            if invoice.due_date and invoice.issue_date
            else timedelta(0)
        )
        tx.session.execute(
            update(Invoice)
            .where(Invoice.id == invoice.id)
            .values(issue_date=day, due_date=day + terms if invoice.due_date else None)
        )
