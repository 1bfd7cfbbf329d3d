"""Invoice rules. Pure Python, integer minor units only: statuses, totals per tax rate, credit
notes' limits, balances, due dates, the rule "pay before dispatch", and the words for problems.

**Totals are computed per tax rate**, as EN 16931 and French practice do: the lines of one rate
are added up, then the tax of that rate is computed once on the sum and rounded half up. An
invoice keeps the price basis it was made in: one made from an order keeps the order's
tax-inclusive prices (so its total is exactly what the customer was charged, and the tax of each
rate is the part contained in that rate's sum); one made from scratch is in prices excluding tax.
Each line's amount excluding tax is then shared out of its rate's base (largest remainder), so the
lines always add up to the rate's base, to the minor unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from backend.i18n.translation import N_
from backend.orders.pricing import CENTI_PERCENT, divide_half_up, tax_included
from backend.orders.rules import PaymentMethod

MAX_LINES = 300
MAX_QUANTITY = 1_000_000
MAX_UNIT_PRICE_MINOR = 10**10
MAX_TOTAL_MINOR = 10**13
RECOVERY_INDEMNITY_MINOR = 4000  # Code de commerce, D. 441-5: 40 € per late invoice, businesses only
INVOICE_SERIES = "F"
CREDIT_NOTE_SERIES = "AV"  # avoir
NUMBER_WIDTH = 6


class Kind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"  # editable, no number yet
    ISSUED = "issued"  # numbered, never changed again
    SENT = "sent"  # given to the customer
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    OVERDUE = "overdue"  # shown, never stored: unpaid after its due date
    CANCELLED = "cancelled"  # credited in full by credit notes


S = InvoiceStatus
OPEN_STATUSES = frozenset({S.ISSUED, S.SENT, S.PARTLY_PAID})


class Method(StrEnum):
    """How money moved: the order's payment methods."""

    CARD = PaymentMethod.CARD.value  # reference: the terminal's receipt
    PAYPAL = PaymentMethod.PAYPAL.value
    BANK_TRANSFER = PaymentMethod.BANK_TRANSFER.value
    CASH = PaymentMethod.CASH.value
    CASH_ON_DELIVERY = PaymentMethod.CASH_ON_DELIVERY.value


NEEDS_REFERENCE = frozenset({Method.CARD, Method.PAYPAL})


# -- Totals ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    quantity: int
    unit_price_minor: int  # in the invoice's price basis
    tax_rate_centi: int

    @property
    def amount_minor(self) -> int:
        return self.quantity * self.unit_price_minor


@dataclass(frozen=True)
class RateTotal:
    rate_centi: int
    net_minor: int
    tax_minor: int

    @property
    def total_minor(self) -> int:
        return self.net_minor + self.tax_minor


@dataclass(frozen=True)
class Totals:
    rates: tuple[RateTotal, ...]  # highest rate first

    @property
    def net_minor(self) -> int:
        return sum(rate.net_minor for rate in self.rates)

    @property
    def tax_minor(self) -> int:
        return sum(rate.tax_minor for rate in self.rates)

    @property
    def total_minor(self) -> int:
        return self.net_minor + self.tax_minor

    def of(self, rate_centi: int) -> RateTotal:
        for rate in self.rates:
            if rate.rate_centi == rate_centi:
                return rate
        return RateTotal(rate_centi, 0, 0)


def tax_on(net_minor: int, rate_centi: int) -> int:
    """The tax due on an amount excluding tax, rounded half up."""
    return divide_half_up(net_minor * rate_centi, CENTI_PERCENT)


def rate_total(rate_centi: int, amount_minor: int, prices_include_tax: bool) -> RateTotal:
    if prices_include_tax:
        tax = tax_included(amount_minor, rate_centi)
        return RateTotal(rate_centi, amount_minor - tax, tax)
    return RateTotal(rate_centi, amount_minor, tax_on(amount_minor, rate_centi))


def compute_totals(lines: Iterable[Line], prices_include_tax: bool) -> Totals:
    sums: dict[int, int] = {}
    for line in lines:
        sums[line.tax_rate_centi] = sums.get(line.tax_rate_centi, 0) + line.amount_minor
    return Totals(
        tuple(
            rate_total(rate, amount, prices_include_tax)
            for rate, amount in sorted(sums.items(), reverse=True)
        )
    )


def line_nets(lines: Sequence[Line], totals: Totals) -> list[int]:
    """Each line's amount excluding tax: its rate's base shared in proportion to the lines'
    amounts, the minor units left by rounding down going to the largest remainders (first line
    first on ties). The lines of a rate always add up to its base."""
    nets = [0] * len(lines)
    for rate in totals.rates:
        members = [n for n, line in enumerate(lines) if line.tax_rate_centi == rate.rate_centi]
        amount = sum(lines[n].amount_minor for n in members)
        if amount == 0:
            continue
        shares = {n: divmod(lines[n].amount_minor * rate.net_minor, amount) for n in members}
        for n in members:
            nets[n] = shares[n][0]
        left = rate.net_minor - sum(nets[n] for n in members)
        for n in sorted(members, key=lambda n: (-shares[n][1], n))[:left]:
            nets[n] += 1
    return nets


# -- Credit notes ---------------------------------------------------------------------------------


def credit_limit(invoiced: Totals, credited: Iterable[Totals]) -> Totals:
    """What may still be credited on an invoice, per rate."""
    done = list(credited)
    return Totals(
        tuple(
            RateTotal(
                rate.rate_centi,
                rate.net_minor - sum(totals.of(rate.rate_centi).net_minor for totals in done),
                rate.tax_minor - sum(totals.of(rate.rate_centi).tax_minor for totals in done),
            )
            for rate in invoiced.rates
        )
    )


def credit_totals(wanted: Totals, remaining: Totals, closes: bool) -> Totals:
    """A credit note's totals: what its lines come to, never more than ``remaining`` per rate
    (rounding several partial credits separately may add up a minor unit or two above the
    invoice's own rounding: the last one takes what is left). ``closes``: its lines take every
    unit still invoiced, so it takes the whole remainder and the invoice ends at zero."""
    if closes:
        return Totals(tuple(rate for rate in remaining.rates if rate.total_minor))
    return Totals(
        tuple(
            RateTotal(
                rate.rate_centi,
                min(rate.net_minor, remaining.of(rate.rate_centi).net_minor),
                min(rate.tax_minor, remaining.of(rate.rate_centi).tax_minor),
            )
            for rate in wanted.rates
        )
    )


# -- Money owed -----------------------------------------------------------------------------------


def balance(invoiced_minor: int, paid_minor: int, refunded_minor: int) -> int:
    """What the customer still owes (negative: what the shop owes them, kept as credit)."""
    return invoiced_minor - paid_minor + refunded_minor


def refund_problem(amount_minor: int, paid_minor: int, refunded_minor: int) -> str | None:
    if amount_minor <= 0:
        return "amount_invalid"
    if amount_minor > paid_minor - refunded_minor:
        return "refund_above_paid"
    return None


def stored_status(
    kind: Kind, *, issued: bool, sent: bool, total_minor: int, credited_minor: int, paid_minor: int
) -> InvoiceStatus:
    """The status kept on the row; ``paid_minor`` is what was paid net of refunds."""
    if not issued:
        return S.DRAFT
    if kind == Kind.INVOICE and total_minor > 0:
        if credited_minor >= total_minor:
            return S.CANCELLED
        due = total_minor - credited_minor
        if paid_minor >= due:
            return S.PAID
        if paid_minor > 0:
            return S.PARTLY_PAID
    return S.SENT if sent else S.ISSUED


def shown_status(status: InvoiceStatus, due_date: date | None, today: date) -> InvoiceStatus:
    """Overdue is a moment, not a move: an open invoice whose due date has passed."""
    if status in OPEN_STATUSES and due_date is not None and due_date < today:
        return S.OVERDUE
    return status


def due_date(issue_date: date, terms_days: int) -> date:
    return issue_date + timedelta(days=terms_days)


def holds_dispatch(method: str, pay_first: Iterable[str], balance_minor: int) -> bool:
    """Whether an order may not leave yet: its payment method is one the shop wants paid before
    dispatch, and something is still owed."""
    return method in set(pay_first) and balance_minor > 0


# -- Words ----------------------------------------------------------------------------------------

MESSAGES: Mapping[str, str] = {
    "forbidden": N_("You may not manage invoices."),
    "not_found": N_("No such invoice."),
    "order_not_found": N_("No such order."),
    "order_not_invoiceable": N_("A cancelled or rejected order cannot be invoiced."),
    "order_already_invoiced": N_("This order already has an invoice."),
    "lines_required": N_("Add at least one line."),
    "too_many_lines": N_("An invoice holds at most 300 lines."),
    "quantity_invalid": N_("Enter a whole number of units from 1."),
    "description_required": N_("Describe the line or give a SKU."),
    "unknown_sku": N_("No product has this SKU."),
    "price_invalid": N_("Enter a price from 0."),
    "tax_rate_invalid": N_("Enter a tax rate between 0 and 100 %."),
    "total_too_large": N_("This invoice is too large."),
    "currency_mismatch": N_("Every line of an invoice is in one currency."),
    "name_required": N_("Enter the customer's name."),
    "too_long": N_("This is too long."),
    "bad_vat_number": N_("This is not a valid EU VAT number."),
    "not_draft": N_("An issued invoice is never changed: correct it with a credit note."),
    "not_issued": N_("Only an issued invoice can be sent, paid or credited."),
    "version_conflict": N_("Someone changed this invoice meanwhile."),
    "credit_above_invoice": N_("A credit note cannot exceed what is left on its invoice."),
    "not_on_invoice": N_("This line is not on the invoice."),
    "nothing_to_credit": N_("Nothing is left to credit on this invoice."),
    "reason_required": N_("Give a reason."),
    "amount_invalid": N_("Enter an amount from 0.01."),
    "method_invalid": N_("Unknown payment method."),
    "reference_required": N_("Enter the payment's reference."),
    "target_required": N_("Choose an order or an invoice."),
    "refund_above_paid": N_("A refund cannot be more than what was paid."),
    "credit_note_mismatch": N_("This credit note does not correct this invoice."),
    "year_turned": N_("The year has just turned: issue it again."),
    "order_or_lines": N_("Give an order, or a customer and lines."),
    "nothing_due": N_("Nothing is due on this."),
    "no_provider": N_("Online card payment is not set up."),
}

STATUS_LABELS: Mapping[InvoiceStatus, str] = {
    S.DRAFT: N_("Draft"),
    S.ISSUED: N_("Issued"),
    S.SENT: N_("Sent"),
    S.PARTLY_PAID: N_("Partly paid"),
    S.PAID: N_("Paid"),
    S.OVERDUE: N_("Overdue"),
    S.CANCELLED: N_("Cancelled by credit note"),
}

METHOD_LABELS: Mapping[Method, str] = {
    Method.CARD: N_("Card"),
    Method.PAYPAL: N_("PayPal"),
    Method.BANK_TRANSFER: N_("Bank transfer"),
    Method.CASH: N_("Cash"),
    Method.CASH_ON_DELIVERY: N_("Cash on delivery"),
}
