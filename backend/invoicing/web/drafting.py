"""Making invoices: the invoice form for a customer (counter sale, service), which works offline,
and an order's invoice, from the panel invoicing adds to the order page.

The form is an outbox form (``data-offline``): typed with no signal, it is kept on the phone with
its idempotency key and sent once when the network is back. The key is also the draft's
``client_ref``, so even a replay that outlived its key's record finds the first draft: one
invoice, one number.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.customers.models import Customer
from backend.invoicing import service, views
from backend.invoicing.errors import InvoiceConflict, InvoiceForbidden, InvoiceRejected
from backend.invoicing.payments import PaymentInput, order_balance, record_payment, record_refund
from backend.invoicing.rules import METHOD_LABELS, STATUS_LABELS, InvoiceStatus, Kind
from backend.invoicing.web import forms
from backend.invoicing.web.forms import Typed
from backend.orders.web.dependencies import CurrentActor
from backend.shop.web.dependencies import Shop
from backend.web import inputs
from backend.web.dependencies import AppDb
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
manage_invoices = requires(Permission.INVOICES_MANAGE)
REFUSED = (InvoiceRejected, InvoiceConflict, InvoiceForbidden)


def _form_page(
    request: AnyRequest, typed: Typed, errors: FormErrors | None = None, status: int = 200
) -> Template:
    context = {
        "typed": typed,
        "errors": errors or FormErrors(),
        "rows": range(forms.LINE_ROWS),
        "rates": [forms.format_tax_rate(rate) for rate in forms.RATES],
        "line_field": forms.line_field,
    }
    return page(request, "invoicing/new.html", context, status_code=status)


@get("/invoices/new", guards=[manage_invoices])
async def new_invoice(request: AnyRequest, db: AppDb, customer: FromQuery[str | None] = None) -> Template:
    known = {}
    customer_id = inputs.parse_id(customer)
    if customer_id is not None:
        async with db.read() as session:
            found = await session.get(Customer, customer_id)
        if found is not None:
            known = {"name": found.name, "email": found.email or "", "customer_id": str(found.id)}
    return _form_page(request, forms.blank_invoice(known))


@post("/invoices/new", guards=[manage_invoices])
async def create_invoice(request: AnyRequest, db: AppDb, actor: CurrentActor, shop: Shop) -> Any:
    form = await request.form()
    typed, errors = forms.invoice_typed(form), FormErrors()
    client_ref = forms.text(form, "_idempotency_key", 64) or None
    read = forms.invoice_input(typed, shop.currency, client_ref, errors)
    if errors or read.draft is None:
        return _form_page(request, typed, errors, 422)
    command = service.create_and_issue if typed.get("then") == "issue" else service.create_draft
    try:
        made = await db.run(command, actor, read.draft)
    except REFUSED as exc:
        if isinstance(exc, InvoiceRejected):
            forms.invoice_problems(read, exc.problems, errors)
        else:
            errors.add(None, forms.message("forbidden"))
        return _form_page(request, typed, errors, 422)
    return see_other(f"/invoices/{made.id}?saved={'issued' if made.number else 'created'}")


@post("/orders/{order_id:int}/invoice", guards=[manage_invoices])
async def invoice_order(request: AnyRequest, db: AppDb, actor: CurrentActor, order_id: FromPath[int]) -> Any:
    form = await request.form()
    client_ref = forms.text(form, "_idempotency_key", 64) or None
    try:
        made = await db.run(service.create_from_order, actor, order_id, client_ref)
    except REFUSED as exc:
        return await _panel(request, db, order_id, _errors(exc), 422)
    return see_other(f"/invoices/{made.id}?saved=created")


@post("/orders/{order_id:int}/payments", guards=[manage_invoices])
async def pay_order(request: AnyRequest, db: AppDb, actor: CurrentActor, order_id: FromPath[int]) -> Any:
    typed = Typed.read(await request.form(), ("method", "amount", "reference"))
    errors = FormErrors()
    async with db.read() as session:
        balance = await order_balance(session, order_id)
    currency = balance.currency if balance else "EUR"
    amount = forms.amount(typed, "amount", currency, errors)
    if errors or amount is None:
        return await _panel(request, db, order_id, errors, 422, typed=typed)
    wanted = PaymentInput(typed.get("method"), amount, order_id=order_id, reference=typed.get("reference"))
    try:
        await db.run(record_payment, actor, wanted)
    except REFUSED as exc:
        return await _panel(request, db, order_id, _errors(exc), 422, typed=typed)
    return see_other(f"/orders/{order_id}")


@post("/orders/{order_id:int}/refunds", guards=[manage_invoices])
async def refund_order(request: AnyRequest, db: AppDb, actor: CurrentActor, order_id: FromPath[int]) -> Any:
    """Money paid back on the order; with a credit note chosen, on the invoice that note corrects."""
    typed = Typed.read(await request.form(), forms.REFUND_FIELDS)
    errors = FormErrors()
    async with db.read() as session:
        balance = await order_balance(session, order_id)
        notes = {
            row.id: row.corrects_id for row in await views.order_invoices(session, order_id) if row.number
        }
    if balance is None:
        raise NotFoundException(f"No order {order_id}.")
    amount, note = forms.refund_input(typed, balance.currency, notes, errors)
    if errors or amount is None:
        return await _panel(request, db, order_id, errors, 422, refund=typed)
    wanted = PaymentInput(
        typed.get("refund_method"),
        amount,
        order_id=order_id,
        invoice_id=notes.get(note) if note else None,
        reason=typed.get("refund_reason"),
        credit_note_id=note,
    )
    try:
        await db.run(record_refund, actor, wanted)
    except REFUSED as exc:
        refused = FormErrors()
        if isinstance(exc, InvoiceRejected):
            forms.refund_problems(exc.problems, refused)
        else:
            refused.add(None, forms.message("forbidden"))
        return await _panel(request, db, order_id, refused, 422, refund=typed)
    return see_other(f"/orders/{order_id}")


def _errors(exc: Exception) -> FormErrors:
    errors = FormErrors()
    if isinstance(exc, InvoiceRejected):
        for key, code in exc.problems.items():
            errors.add(key if key in ("amount", "reference") else None, forms.message(code))
    else:
        errors.add(None, forms.message("forbidden"))
    return errors


async def _panel(
    request: AnyRequest,
    db: Any,
    order_id: int,
    errors: FormErrors | None = None,
    status: int = 200,
    *,
    typed: Typed | None = None,
    refund: Typed | None = None,
) -> Template:
    async with db.read() as session:
        balance = await order_balance(session, order_id)
        invoices = await views.order_invoices(session, order_id)
    active = [i for i in invoices if i.kind == Kind.INVOICE and i.status != InvoiceStatus.CANCELLED]
    notes = [(i.id, i.number) for i in invoices if i.kind == Kind.CREDIT_NOTE and i.number]
    context = {
        "order_id": order_id,
        "balance": balance,
        "invoices": invoices,
        "can_invoice": balance is not None and not active,
        "errors": errors or FormErrors(),
        "typed": typed or Typed({"method": "cash"}),
        "refund": refund or forms.blank_refund(),
        "refund_failed": refund is not None,
        "credit_notes": notes,
        "method_options": forms.method_options(),
        "method_labels": METHOD_LABELS,
        "status_labels": STATUS_LABELS,
    }
    return page(
        request,
        "invoicing/order_panel.html",
        context,
        fragment="invoicing/_order_panel.html",
        status_code=status,
    )


@get("/orders/{order_id:int}/invoicing", guards=[manage_invoices])
async def order_panel(request: AnyRequest, db: AppDb, order_id: FromPath[int]) -> Template:
    """What the order page loads into invoicing's panel: its invoices, paid and balance, actions."""
    return await _panel(request, db, order_id)


ROUTES = [new_invoice, create_invoice, invoice_order, pay_order, refund_order, order_panel]
