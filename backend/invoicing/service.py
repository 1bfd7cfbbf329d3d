"""Invoice commands: drafts (from scratch or from an order), issue, sent, credit notes. Each is a
plain ``fn(tx, actor, …)`` run with ``await db.run(fn, …)``; payments and refunds are in
``payments.py``.

A draft made on a phone without signal carries the id the phone made for it (``client_ref``): the
draft is claimed with ``INSERT … ON CONFLICT DO NOTHING``, so a replay (even one racing the first
send) finds the first draft and changes nothing. The number is given at issue, in the issuing
transaction, by the gapless counter of the series and year (``kernel.numbering``): a rollback
gives it back, and the counter's row lock orders concurrent issues, so numbers follow issue dates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from stdnum.eu import vat as eu_vat

from backend.auth.rules import Permission
from backend.catalog.models import Product
from backend.invoicing import events, rules
from backend.invoicing.billing import load_billing
from backend.invoicing.errors import InvoiceConflict, InvoiceForbidden, InvoiceNotFound, InvoiceRejected
from backend.invoicing.models import Invoice, InvoiceLine, Payment
from backend.invoicing.rules import InvoiceStatus, Kind
from backend.kernel.events import record
from backend.kernel.numbering import next_number
from backend.kernel.tx import Tx, json_text
from backend.orders.models import Order, OrderLine
from backend.orders.pricing import CENTI_PERCENT, divide_half_up
from backend.orders.rules import Actor, OrderStatus
from backend.shop.models import ShopProfile
from backend.shop.rules import DEFAULTS as SHOP_DEFAULTS
from backend.web import inputs

__all__ = [
    "CreditLine",
    "CustomerInput",
    "DraftInput",
    "InvoiceRef",
    "LineInput",
    "create_and_issue",
    "create_draft",
    "create_from_order",
    "credit_invoice",
    "discard_draft",
    "issue_invoice",
    "mark_sent",
    "update_draft",
]

NOT_INVOICEABLE = frozenset({OrderStatus.CANCELLED, OrderStatus.REJECTED})


@dataclass(frozen=True)
class CustomerInput:
    name: str
    address_line1: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "FR"
    email: str = ""
    is_business: bool = False
    vat_number: str = ""
    siren: str = ""
    customer_id: int | None = None


@dataclass(frozen=True)
class LineInput:
    quantity: int
    description: str = ""
    sku: str | None = None
    unit_price_minor: int | None = None  # excluding tax; the catalog's price when None
    tax_rate_centi: int | None = None  # the catalog's rate when None


@dataclass(frozen=True)
class DraftInput:
    customer: CustomerInput
    lines: tuple[LineInput, ...]
    currency: str | None = None  # the shop's when None
    delivery_date: date | None = None
    locale: str = "fr"
    client_ref: str | None = None  # the id the phone made for an offline draft


@dataclass(frozen=True)
class CreditLine:
    position: int  # the invoice line's
    quantity: int


@dataclass(frozen=True)
class InvoiceRef:
    """What a command returns (and the API's first answer)."""

    id: int
    kind: str
    status: str
    number: str | None
    total_minor: int
    currency: str
    version: int
    replayed: bool = field(default=False, compare=False)


def ref(invoice: Invoice, replayed: bool = False) -> InvoiceRef:
    return InvoiceRef(
        invoice.id,
        invoice.kind,
        invoice.status,
        invoice.number,
        invoice.total_minor,
        invoice.currency,
        invoice.version,
        replayed,
    )


def _require(actor: Actor) -> None:
    if not actor.can(Permission.INVOICES_MANAGE):
        raise InvoiceForbidden


def load(tx: Tx, invoice_id: int, lock: bool = False) -> Invoice:
    query = select(Invoice).where(Invoice.id == invoice_id)
    invoice = tx.session.scalars(query.with_for_update() if lock else query).first()
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    return invoice


def lines_of(tx: Tx, invoice_id: int) -> list[InvoiceLine]:
    query = select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).order_by(InvoiceLine.position)
    return list(tx.session.scalars(query))


# -- Drafts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Priced:
    sku: str | None
    description: str
    quantity: int
    unit_price_minor: int
    tax_rate_centi: int


def _customer_problems(customer: CustomerInput) -> dict[str, str]:
    found = {}
    if inputs.is_blank(customer.name):
        found["customer.name"] = "name_required"
    limits = {"name": 120, "address_line1": 200, "postal_code": 20, "city": 120, "email": 254, "siren": 14}
    found.update(
        {
            f"customer.{key}": "too_long"
            for key, limit in limits.items()
            if len(getattr(customer, key)) > limit
        }
    )
    if customer.vat_number and not eu_vat.is_valid(customer.vat_number):
        found["customer.vat_number"] = "bad_vat_number"
    if inputs.nul_at(asdict(customer)):
        found["customer"] = "too_long"
    return found


def _price_lines(tx: Tx, draft: DraftInput, currency: str, vat_exempt: bool) -> list[_Priced]:
    """The draft's lines priced excluding tax; raises ``InvoiceRejected`` with every problem."""
    found: dict[str, str] = {}
    if not draft.lines:
        found["lines"] = "lines_required"
    elif len(draft.lines) > rules.MAX_LINES:
        found["lines"] = "too_many_lines"
    skus = {line.sku for line in draft.lines if line.sku}
    products = (
        {p.sku: p for p in tx.session.scalars(select(Product).where(Product.sku.in_(skus)))} if skus else {}
    )
    priced = []
    for n, line in enumerate(draft.lines[: rules.MAX_LINES]):
        where = f"lines[{n}]"
        product = products.get(line.sku or "")
        problem = _line_problem(line, product, currency)
        if problem:
            found[where] = problem
            continue
        rate = line.tax_rate_centi if line.tax_rate_centi is not None else product.tax_rate_centi  # type: ignore[union-attr]
        rate = 0 if vat_exempt else rate
        price = line.unit_price_minor
        if price is None:  # the catalog's shelf price includes tax
            price = divide_half_up(product.price_minor * CENTI_PERCENT, CENTI_PERCENT + rate)  # type: ignore[union-attr]
        description = line.description.strip() or (product.name if product else "")
        priced.append(_Priced(line.sku or None, description[:300], line.quantity, price, rate))
    total = sum(line.quantity * line.unit_price_minor for line in priced)
    if total > rules.MAX_TOTAL_MINOR:
        found["lines"] = "total_too_large"
    if found:
        raise InvoiceRejected(found)
    return priced


def _line_problem(line: LineInput, product: Product | None, currency: str) -> str | None:  # noqa: PLR0911 - one answer per check, in order
    if not 1 <= line.quantity <= rules.MAX_QUANTITY:
        return "quantity_invalid"
    if line.sku and product is None:
        return "unknown_sku"
    if not line.sku and inputs.is_blank(line.description):
        return "description_required"
    if len(line.description) > 300 or len(line.sku or "") > 64 or inputs.nul_at([line.description, line.sku]):
        return "too_long"
    if line.unit_price_minor is not None and not 0 <= line.unit_price_minor <= rules.MAX_UNIT_PRICE_MINOR:
        return "price_invalid"
    if line.tax_rate_centi is None and product is None:
        return "tax_rate_invalid"
    if line.tax_rate_centi is not None and not 0 <= line.tax_rate_centi <= CENTI_PERCENT:
        return "tax_rate_invalid"
    if line.unit_price_minor is None and product is not None and product.currency != currency:
        return "currency_mismatch"
    return None


def _shop(tx: Tx) -> ShopProfile:
    return tx.session.get(ShopProfile, 1) or ShopProfile(id=1, version=0, **SHOP_DEFAULTS)


def _put_lines(tx: Tx, invoice: Invoice, lines: list[_Priced], prices_include_tax: bool) -> None:
    """Replace the invoice's lines and totals."""
    for old in lines_of(tx, invoice.id):
        tx.session.delete(old)
    tx.session.flush()
    basis = [rules.Line(line.quantity, line.unit_price_minor, line.tax_rate_centi) for line in lines]
    totals = rules.compute_totals(basis, prices_include_tax)
    nets = rules.line_nets(basis, totals)
    for position, (line, net) in enumerate(zip(lines, nets, strict=True), start=1):
        tx.session.add(
            InvoiceLine(
                invoice_id=invoice.id,
                position=position,
                sku=line.sku,
                description=line.description,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                tax_rate_centi=line.tax_rate_centi,
                net_minor=net,
            )
        )
    _set_totals(invoice, totals)


def _set_totals(invoice: Invoice, totals: rules.Totals) -> None:
    invoice.rates = [[rate.rate_centi, rate.net_minor, rate.tax_minor] for rate in totals.rates]
    invoice.net_minor = totals.net_minor
    invoice.tax_minor = totals.tax_minor
    invoice.total_minor = totals.total_minor


def totals_of(invoice: Invoice) -> rules.Totals:
    return rules.Totals(tuple(rules.RateTotal(*rate) for rate in invoice.rates))


_CLAIM = (
    "INSERT INTO invoices (kind, status, client_ref, order_id, customer_id, customer, seller, locale,"
    " currency, prices_include_tax, rates, net_minor, tax_minor, total_minor, credited_minor,"
    " paid_minor, refunded_minor, delivery_date, version, created_by_id, created_at, reason)"
    " VALUES ('invoice', 'draft', :client_ref, :order_id, :customer_id, :customer, '{}', :locale,"
    " :currency, :prices_include_tax, '[]', 0, 0, 0, 0, 0, 0, :delivery_date, 1, :created_by_id, :now, '')"
    " ON CONFLICT (client_ref) DO NOTHING RETURNING id"
)


def _claim(tx: Tx, actor: Actor, values: dict[str, Any]) -> tuple[Invoice, bool]:
    """A new draft row, or the one already made under the same ``client_ref`` (and True)."""
    row = tx.execute(
        _CLAIM,
        {
            **values,
            "customer": json_text(values["customer"]),
            "created_by_id": actor.user_id,
            "now": tx.now(),
        },
    ).fetchone()
    if row is None:
        existing = tx.session.scalars(select(Invoice).where(Invoice.client_ref == values["client_ref"])).one()
        return existing, True
    return load(tx, int(row[0])), False


def _customer_json(customer: CustomerInput) -> dict[str, Any]:
    values = asdict(customer)
    values.pop("customer_id")
    values["vat_number"] = eu_vat.compact(customer.vat_number) if customer.vat_number else ""
    return values


def _check_ref(client_ref: str | None) -> None:
    if client_ref is not None and (not 1 <= len(client_ref) <= 64 or inputs.nul_at(client_ref)):
        raise InvoiceRejected({"client_ref": "too_long"})


def create_draft(tx: Tx, actor: Actor, draft: DraftInput) -> InvoiceRef:
    """A draft invoice from scratch (counter sale, service). The same ``client_ref`` again is a
    no-op that returns the first draft (``replayed``)."""
    _require(actor)
    _check_ref(draft.client_ref)
    if draft.client_ref and (found := _by_client_ref(tx, draft.client_ref)):
        return ref(found, replayed=True)
    if problems := _customer_problems(draft.customer):
        raise InvoiceRejected(problems)
    currency = draft.currency or _shop(tx).currency
    priced = _price_lines(tx, draft, currency, load_billing(tx).vat_exempt)
    invoice, replayed = _claim(
        tx,
        actor,
        {
            "client_ref": draft.client_ref,
            "order_id": None,
            "customer_id": draft.customer.customer_id,
            "customer": _customer_json(draft.customer),
            "locale": draft.locale if draft.locale in ("en", "fr") else "fr",
            "currency": currency,
            "prices_include_tax": False,
            "delivery_date": draft.delivery_date,
        },
    )
    if replayed:
        return ref(invoice, replayed=True)
    _put_lines(tx, invoice, priced, prices_include_tax=False)
    tx.session.flush()
    record(tx, events.InvoiceDrafted(total_minor=invoice.total_minor), f"invoice:{invoice.id}", actor.user_id)
    return ref(invoice)


def _by_client_ref(tx: Tx, client_ref: str) -> Invoice | None:
    return tx.session.scalars(select(Invoice).where(Invoice.client_ref == client_ref)).first()


def create_from_order(
    tx: Tx,
    actor: Actor,
    order_id: int,
    client_ref: str | None = None,
    business: CustomerInput | None = None,
) -> InvoiceRef:
    """A draft invoice of an order, in the order's tax-inclusive prices (its total is what the
    customer was charged). ``business``: the customer's company details, when it is one."""
    _require(actor)
    _check_ref(client_ref)
    if client_ref and (found := _by_client_ref(tx, client_ref)):
        return ref(found, replayed=True)
    order = tx.session.scalars(select(Order).where(Order.id == order_id).with_for_update()).first()
    if order is None:
        raise InvoiceRejected({"order": "order_not_found"})
    if order.status in NOT_INVOICEABLE:
        raise InvoiceRejected({"order": "order_not_invoiceable"})
    if _active_invoice(tx, order.id) is not None:
        raise InvoiceRejected({"order": "order_already_invoiced"})
    customer = business or CustomerInput(order.customer_name)
    customer = CustomerInput(
        **{
            **asdict(customer),
            "name": customer.name or order.customer_name,
            "address_line1": customer.address_line1 or order.address_line1 or "",
            "postal_code": customer.postal_code or order.address_postal_code or "",
            "city": customer.city or order.address_city or "",
            "country": order.address_country or customer.country,
            "email": customer.email or order.email or "",
            "customer_id": order.customer_id,
        }
    )
    if problems := _customer_problems(customer):
        raise InvoiceRejected(problems)
    invoice, replayed = _claim(
        tx,
        actor,
        {
            "client_ref": client_ref,
            "order_id": order.id,
            "customer_id": order.customer_id,
            "customer": _customer_json(customer),
            "locale": "fr",
            "currency": order.currency,
            "prices_include_tax": True,
            "delivery_date": None,
        },
    )
    if replayed:
        return ref(invoice, replayed=True)
    order_lines = tx.session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)
    )
    exempt = load_billing(tx).vat_exempt
    priced = [
        _Priced(
            line.sku, line.name, line.quantity, line.unit_price_minor, 0 if exempt else line.tax_rate_centi
        )
        for line in order_lines
    ]
    _put_lines(tx, invoice, priced, prices_include_tax=True)
    tx.session.flush()
    record(tx, events.InvoiceDrafted(order_id=order.id), f"invoice:{invoice.id}", actor.user_id)
    return ref(invoice)


def _active_invoice(tx: Tx, order_id: int) -> Invoice | None:
    """The order's invoice that is not cancelled by a credit note (drafts included)."""
    query = select(Invoice).where(
        Invoice.order_id == order_id,
        Invoice.kind == Kind.INVOICE,
        Invoice.status != InvoiceStatus.CANCELLED,
    )
    return tx.session.scalars(query).first()


def _editable(tx: Tx, invoice_id: int, version: int) -> Invoice:
    invoice = load(tx, invoice_id, lock=True)
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvoiceConflict("not_draft", ref(invoice))
    if invoice.version != version:
        raise InvoiceConflict("version_conflict", ref(invoice))
    return invoice


def update_draft(tx: Tx, actor: Actor, invoice_id: int, version: int, draft: DraftInput) -> InvoiceRef:
    """Replace a draft's customer and lines (a draft made from an order keeps its lines)."""
    _require(actor)
    invoice = _editable(tx, invoice_id, version)
    if problems := _customer_problems(draft.customer):
        raise InvoiceRejected(problems)
    invoice.customer = _customer_json(draft.customer)
    invoice.customer_id = draft.customer.customer_id or invoice.customer_id
    invoice.delivery_date = draft.delivery_date
    invoice.locale = draft.locale if draft.locale in ("en", "fr") else invoice.locale
    if invoice.order_id is None:
        priced = _price_lines(tx, draft, invoice.currency, load_billing(tx).vat_exempt)
        _put_lines(tx, invoice, priced, prices_include_tax=False)
    invoice.version += 1
    tx.session.flush()
    record(
        tx,
        events.InvoiceEdited(total_minor=invoice.total_minor, order_id=invoice.order_id),
        f"invoice:{invoice.id}",
        actor.user_id,
    )
    return ref(invoice)


def discard_draft(tx: Tx, actor: Actor, invoice_id: int, version: int) -> None:
    """A draft has no number yet: it may go without leaving a hole."""
    _require(actor)
    invoice = _editable(tx, invoice_id, version)
    tx.session.delete(invoice)
    tx.session.flush()
    record(tx, events.InvoiceDiscarded(order_id=invoice.order_id), f"invoice:{invoice_id}", actor.user_id)


# -- Issue, send, credit --------------------------------------------------------------------------


_SHOP = "SELECT name, timezone FROM shop_profile WHERE id = 1"


def _shop_facts(tx: Tx) -> tuple[str, ZoneInfo]:
    """The shop's name and time zone (plain SQL: read by every issue)."""
    row = tx.execute(_SHOP).fetchone()
    name, zone = row if row is not None else (SHOP_DEFAULTS["name"], SHOP_DEFAULTS["timezone"])
    return name, ZoneInfo(zone)


def _seller(tx: Tx, shop_name: str) -> dict[str, Any]:
    billing = asdict(load_billing(tx))
    billing["pay_before_dispatch"] = list(billing["pay_before_dispatch"])
    billing.pop("version")
    return {**billing, "shop_name": shop_name}


def _number(tx: Tx, series: str, zone: ZoneInfo) -> tuple[str, date]:
    """The series' next number and the issue date (the shop's today, by the clock, not the
    transaction's start). The date is read once the counter's row is locked, so a later number
    never bears an earlier date; should the year turn meanwhile, the command fails (nothing is
    taken) and is simply run again."""
    year = datetime.now(zone).year
    number = next_number(tx, series, rules.NUMBER_WIDTH, year=year)
    today = datetime.now(zone).date()
    if today.year != year:
        raise InvoiceRejected({"invoice": "year_turned"})
    return number, today


_DRAFT = (
    "SELECT kind, status, number, total_minor, currency, version, order_id, sent_at, credited_minor,"
    " paid_minor, refunded_minor FROM invoices WHERE id = :id"
)
_ISSUE = (
    "UPDATE invoices SET number = :number, status = :status, issue_date = :issue_date,"
    " due_date = :due_date, seller = :seller, issued_at = :issued_at, paid_minor = :paid_minor,"
    " refunded_minor = :refunded_minor, version = version + 1 WHERE id = :id"
)
_TAKE_PAYMENTS = (
    "UPDATE payments SET invoice_id = :id WHERE order_id = :order_id AND invoice_id IS NULL"
    " RETURNING id, kind, amount_minor"
)


def issue_invoice(tx: Tx, actor: Actor, invoice_id: int, version: int | None = None) -> InvoiceRef:
    """Number the draft and freeze it: the seller's details are copied, the due date set, and an
    order's payments so far count towards it. Issuing an issued invoice changes nothing.

    Plain SQL, a handful of statements: through the ORM an issue cost 1.1 ms of the writer's CPU
    (loading the invoice, reading the settings, two UPDATEs from autoflushes), 0.1 ms this way. An
    object of the invoice the command's session already holds (a draft made in the same command)
    is read again when next used."""
    _require(actor)
    row = tx.execute(_DRAFT + tx.for_update, {"id": invoice_id}).fetchone()
    if row is None:
        raise InvoiceNotFound(invoice_id)
    kind, status, number, total, currency, current, order_id, sent_at, credited, paid, refunded = row
    if status != InvoiceStatus.DRAFT:
        return InvoiceRef(invoice_id, kind, status, number, total, currency, current, replayed=True)
    if version is not None and current != version:
        raise InvoiceConflict(
            "version_conflict", InvoiceRef(invoice_id, kind, status, number, total, currency, current)
        )
    shop_name, zone = _shop_facts(tx)
    seller = _seller(tx, shop_name)
    if order_id is not None:
        paid, refunded = _take_order_payments(tx, invoice_id, order_id, paid, refunded)
    # Last before the invoice's own UPDATE: concurrent issues wait on the counter's row lock.
    number, today = _number(tx, rules.INVOICE_SERIES, zone)
    status = rules.stored_status(
        Kind(kind),
        issued=True,
        sent=sent_at is not None,
        total_minor=total,
        credited_minor=credited,
        paid_minor=paid - refunded,
    ).value
    values = {
        "id": invoice_id,
        "number": number,
        "status": status,
        "issue_date": _day(tx, today),
        "due_date": _day(tx, rules.due_date(today, seller["payment_terms_days"])),
        "seller": json_text(seller),
        "issued_at": tx.moment(datetime.now(UTC)),
        "paid_minor": paid,
        "refunded_minor": refunded,
    }
    tx.execute(_ISSUE, values)
    tx.forget(Invoice, invoice_id)
    record(tx, events.InvoiceIssued(number=number, order_id=order_id), f"invoice:{invoice_id}", actor.user_id)
    return InvoiceRef(invoice_id, kind, status, number, total, currency, current + 1)


def _day(tx: Tx, day: date) -> date | str:
    """A date as a parameter for a ``Date`` column: SQLAlchemy's text on SQLite."""
    return day.isoformat() if tx.dialect == "sqlite" else day


def _take_order_payments(tx: Tx, invoice_id: int, order_id: int, paid: int, refunded: int) -> tuple[int, int]:
    """The order's payments and refunds not yet on an invoice now count towards this one."""
    for payment_id, kind, amount in tx.execute(
        _TAKE_PAYMENTS, {"id": invoice_id, "order_id": order_id}
    ).fetchall():
        tx.forget(Payment, payment_id)
        if kind == "refund":
            refunded += amount
        else:
            paid += amount
    return paid, refunded


def create_and_issue(tx: Tx, actor: Actor, draft: DraftInput) -> InvoiceRef:
    """Draft and issue at once (the phone's "issue" of a form typed offline): the same
    ``client_ref`` again finds the first invoice, already issued, and changes nothing."""
    made = create_draft(tx, actor, draft)
    return issue_invoice(tx, actor, made.id)


def settle(invoice: Invoice) -> None:
    """The stored status from the invoice's figures (``rules.stored_status``)."""
    invoice.status = rules.stored_status(
        Kind(invoice.kind),
        issued=invoice.number is not None,
        sent=invoice.sent_at is not None,
        total_minor=invoice.total_minor,
        credited_minor=invoice.credited_minor,
        paid_minor=invoice.paid_minor - invoice.refunded_minor,
    ).value


def mark_sent(tx: Tx, actor: Actor, invoice_id: int) -> InvoiceRef:
    _require(actor)
    invoice = load(tx, invoice_id, lock=True)
    if invoice.status == InvoiceStatus.DRAFT:
        raise InvoiceRejected({"invoice": "not_issued"})
    if invoice.sent_at is None:
        invoice.sent_at = datetime.now(ZoneInfo("UTC"))
        invoice.version += 1
        settle(invoice)
        tx.session.flush()
        record(tx, events.InvoiceSent(order_id=invoice.order_id), f"invoice:{invoice.id}", actor.user_id)
    return ref(invoice)


def credit_invoice(
    tx: Tx, actor: Actor, invoice_id: int, reason: str, lines: tuple[CreditLine, ...] | None = None
) -> InvoiceRef:
    """A credit note (own series, issued at once) for ``lines`` of the invoice, or for all that is
    left on it. It never takes more units than are left on a line, nor more money per rate than
    is left on the invoice; once nothing is left the invoice is cancelled."""
    _require(actor)
    if inputs.is_blank(reason) or len(reason) > 500 or inputs.nul_at(reason):
        raise InvoiceRejected({"reason": "reason_required"})
    invoice = load(tx, invoice_id, lock=True)
    if invoice.kind != Kind.INVOICE or invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
        raise InvoiceRejected(
            {"invoice": "not_issued" if invoice.status == InvoiceStatus.DRAFT else "nothing_to_credit"}
        )
    invoiced = lines_of(tx, invoice.id)
    left = _units_left(tx, invoice, invoiced)
    wanted = _credit_quantities(lines, left)
    credited = [
        _Priced(line.sku, line.description, wanted[line.position], line.unit_price_minor, line.tax_rate_centi)
        for line in invoiced
        if wanted.get(line.position)
    ]
    remaining = rules.credit_limit(totals_of(invoice), [_credited_totals(tx, invoice)])
    closes = all(wanted.get(position, 0) == units for position, units in left.items())
    basis = [rules.Line(line.quantity, line.unit_price_minor, line.tax_rate_centi) for line in credited]
    totals = rules.credit_totals(rules.compute_totals(basis, invoice.prices_include_tax), remaining, closes)
    note = _credit_note(tx, actor, invoice, reason, totals)
    nets = rules.line_nets(basis, totals)
    positions = [line.position for line in invoiced if wanted.get(line.position)]
    for n, (line, net) in enumerate(zip(credited, nets, strict=True)):
        tx.session.add(
            InvoiceLine(
                invoice_id=note.id,
                position=n + 1,
                sku=line.sku,
                description=line.description,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                tax_rate_centi=line.tax_rate_centi,
                net_minor=net,
                corrects_position=positions[n],
            )
        )
    invoice.credited_minor += note.total_minor
    invoice.version += 1
    settle(invoice)
    tx.session.flush()
    record(
        tx,
        events.InvoiceCredited(credit_note=note.number, order_id=invoice.order_id),
        f"invoice:{invoice.id}",
        actor.user_id,
    )
    return ref(note)


def _units_left(tx: Tx, invoice: Invoice, invoiced: list[InvoiceLine]) -> dict[int, int]:
    left = {line.position: line.quantity for line in invoiced}
    query = (
        select(InvoiceLine.corrects_position, InvoiceLine.quantity)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.corrects_id == invoice.id)
    )
    for position, quantity in tx.session.execute(query):
        left[position] -= quantity
    return left


def _credit_quantities(lines: tuple[CreditLine, ...] | None, left: dict[int, int]) -> dict[int, int]:
    if lines is None:
        wanted = {position: units for position, units in left.items() if units > 0}
    else:
        wanted = {}
        for n, line in enumerate(lines):
            if line.position not in left:
                raise InvoiceRejected({f"lines[{n}]": "not_on_invoice"})
            if not 1 <= line.quantity <= rules.MAX_QUANTITY:
                raise InvoiceRejected({f"lines[{n}]": "quantity_invalid"})
            wanted[line.position] = wanted.get(line.position, 0) + line.quantity
            if wanted[line.position] > left[line.position]:
                raise InvoiceRejected({f"lines[{n}]": "credit_above_invoice"})
    if not wanted:
        raise InvoiceRejected({"lines": "nothing_to_credit"})
    return wanted


def _credited_totals(tx: Tx, invoice: Invoice) -> rules.Totals:
    notes = tx.session.scalars(select(Invoice).where(Invoice.corrects_id == invoice.id))
    sums: dict[int, list[int]] = {}
    for note in notes:
        for rate, net, tax in note.rates:
            found = sums.setdefault(rate, [0, 0])
            found[0] += net
            found[1] += tax
    return rules.Totals(tuple(rules.RateTotal(rate, net, tax) for rate, (net, tax) in sums.items()))


def _credit_note(tx: Tx, actor: Actor, invoice: Invoice, reason: str, totals: rules.Totals) -> Invoice:
    if totals.total_minor <= 0 and invoice.total_minor > 0:
        raise InvoiceRejected({"lines": "nothing_to_credit"})
    shop_name, zone = _shop_facts(tx)
    number, today = _number(tx, rules.CREDIT_NOTE_SERIES, zone)
    note = Invoice(
        kind=Kind.CREDIT_NOTE.value,
        status=InvoiceStatus.ISSUED.value,
        number=number,
        order_id=invoice.order_id,
        corrects_id=invoice.id,
        reason=reason.strip(),
        customer_id=invoice.customer_id,
        customer=invoice.customer,
        seller=_seller(tx, shop_name),
        locale=invoice.locale,
        currency=invoice.currency,
        prices_include_tax=invoice.prices_include_tax,
        issue_date=today,
        delivery_date=invoice.delivery_date,
        created_by_id=actor.user_id,
        issued_at=datetime.now(UTC),
    )
    _set_totals(note, totals)
    tx.session.add(note)
    tx.session.flush()
    return note
