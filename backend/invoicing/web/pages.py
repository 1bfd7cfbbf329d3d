"""The invoice pages for the team: the list (filters, overdue, CSV), what each customer owes, and
one invoice (printable, its PDF, and what may be done with it: issue, mark sent, credit, record a
payment). Forms answer with a 303 to the invoice, or with the page and its messages."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Stream, Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.i18n.translation import N_, gettext
from backend.invoicing import rules, service, views
from backend.invoicing.errors import InvoiceConflict, InvoiceForbidden, InvoiceNotFound, InvoiceRejected
from backend.invoicing.payments import PaymentInput, record_payment, record_refund
from backend.invoicing.web import documents, forms
from backend.invoicing.web.forms import Typed
from backend.kernel.csv_writing import SafeWriter
from backend.orders.web.dependencies import CurrentActor
from backend.web import inputs
from backend.web.dependencies import AppDb
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
# Templates an invoice's page includes after its own sections (``extension("invoice_panels")``),
# each given the page's context (``invoice``): how a domain above invoicing shows its part of one.
INVOICE_PANELS = "invoice_panels"
manage_invoices = requires(Permission.INVOICES_MANAGE)
REFUSED = (InvoiceRejected, InvoiceConflict, InvoiceForbidden)
FILTERS = ("status", "kind", "customer", "issued_from", "issued_to")
SAVED = {
    "created": N_("Draft saved."),
    "issued": N_("Invoice issued."),
    "sent": N_("Marked as sent."),
    "credited": N_("Credit note issued."),
    "paid": N_("Payment recorded."),
    "refunded": N_("Refund recorded."),
}


def _day(raw: str, name: str, errors: FormErrors) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.add(name, gettext(N_("Enter a date.")))
        return None


def _filters(request: AnyRequest) -> tuple[Typed, dict[str, Any], FormErrors]:
    typed = Typed({name: request.query_params.get(name, "")[:20] for name in FILTERS})
    errors = FormErrors()
    status = typed.get("status") if typed.get("status") in rules.InvoiceStatus.__members__.values() else None
    wanted = {
        "status": status,
        "kind": typed.get("kind") if typed.get("kind") in rules.Kind.__members__.values() else None,
        "customer_id": inputs.parse_id(typed.get("customer")),
        "issued_from": _day(typed.get("issued_from"), "issued_from", errors),
        "issued_to": _day(typed.get("issued_to"), "issued_to", errors),
    }
    return typed, wanted, errors


def _labels() -> dict[str, Any]:
    return {"status_labels": rules.STATUS_LABELS, "method_labels": rules.METHOD_LABELS}


@get("/invoices", guards=[manage_invoices])
async def invoice_list(request: AnyRequest, db: AppDb) -> Template:
    typed, wanted, errors = _filters(request)
    async with db.read() as session:
        found = [] if errors else await views.list_invoices(session, limit=200, **wanted)
    context = {"filters": typed, "errors": errors, "invoices": found, "statuses": list(rules.InvoiceStatus)}
    return page(request, "invoicing/list.html", {**context, **_labels()}, fragment="invoicing/_rows.html")


@get("/invoices/export.csv", guards=[manage_invoices])
async def export_invoices(request: AnyRequest, db: AppDb) -> Stream:
    _, wanted, errors = _filters(request)
    async with db.read() as session:
        found = [] if errors else await views.list_invoices(session, limit=10_000, **wanted)

    async def chunks() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = SafeWriter(buffer)
        writer.writerow(
            ["number", "kind", "status", "customer", "issue_date", "due_date", "total", "balance", "currency"]
        )
        for row in found:
            writer.writerow(
                [
                    row.number or "",
                    row.kind,
                    row.status,
                    row.customer_name,
                    row.issue_date or "",
                    row.due_date or "",
                    _plain(row.total_minor, row.currency),
                    _plain(row.balance_minor, row.currency),
                    row.currency,
                ]
            )
        yield buffer.getvalue()

    return Stream(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="invoices.csv"'},
    )


def _plain(minor: int, currency: str) -> str:
    return ("-" if minor < 0 else "") + forms.format_price_input(abs(minor), currency)


@get("/invoices/due", guards=[manage_invoices])
async def amounts_due(request: AnyRequest, db: AppDb) -> Template:
    async with db.read() as session:
        rows = await views.amounts_due_by_customer(session)
    return page(request, "invoicing/due.html", {"rows": rows})


async def _view(db: Any, invoice_id: int) -> views.InvoiceView:
    async with db.read() as session:
        view = await views.invoice_view(session, invoice_id)
    if view is None:
        raise NotFoundException(f"No invoice {invoice_id}.")
    return view


async def show_invoice(
    request: AnyRequest,
    db: Any,
    invoice_id: int,
    errors: FormErrors | None = None,
    status: int = 200,
    *,
    typed: Typed | None = None,
    refund: Typed | None = None,
) -> Template:
    view = await _view(db, invoice_id)
    async with db.read() as session:
        refundable = await views.refundable(session, view)
    saved = SAVED.get(request.query_params.get("saved", ""))
    own_note = view.id if view.kind == rules.Kind.CREDIT_NOTE else None
    context = {
        "invoice": view,
        "mentions": documents.mentions_of(view),
        "errors": errors or FormErrors(),
        "typed": typed or Typed({"method": "bank_transfer", "reference": view.number or ""}),
        "refundable": refundable,
        "refund": refund or forms.blank_refund(own_note),
        "refund_failed": refund is not None,
        "method_options": forms.method_options(),
        "saved": saved,
        "open_statuses": rules.OPEN_STATUSES | {rules.InvoiceStatus.OVERDUE},
        **_labels(),
    }
    return page(
        request,
        "invoicing/invoice.html",
        context,
        fragment="invoicing/_invoice_main.html",
        status_code=status,
    )


@get("/invoices/{invoice_id:int}/pdf", guards=[manage_invoices])
async def invoice_pdf(db: AppDb, invoice_id: FromPath[int]) -> Response[bytes]:
    view = await _view(db, invoice_id)
    body = documents.pdf_of(view)
    name = view.number or f"draft-{view.id}"
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


async def _act(request: AnyRequest, db: Any, invoice_id: int, command: Any, *args: Any, saved: str) -> Any:
    """Run one command on the invoice; its page with the reason when it is refused."""
    try:
        await db.run(command, *args)
    except InvoiceNotFound:
        raise NotFoundException(f"No invoice {invoice_id}.") from None
    except REFUSED as exc:
        return await show_invoice(
            request, db, invoice_id, _refusal(exc), 409 if isinstance(exc, InvoiceConflict) else 422
        )
    return see_other(f"/invoices/{invoice_id}?saved={saved}")


def _refusal(exc: Exception) -> FormErrors:
    errors = FormErrors()
    if isinstance(exc, InvoiceRejected):
        for key, code in exc.problems.items():
            errors.add(key if key in ("amount", "reference", "reason") else None, forms.message(code))
    elif isinstance(exc, InvoiceConflict):
        errors.add(None, forms.message(exc.code))
    else:
        errors.add(None, forms.message("forbidden"))
    return errors


def _version(form: Any) -> int | None:
    return inputs.parse_number(forms.text(form, "version", 20) or None)


@post("/invoices/{invoice_id:int}/issue", guards=[manage_invoices])
async def issue(request: AnyRequest, db: AppDb, actor: CurrentActor, invoice_id: FromPath[int]) -> Any:
    version = _version(await request.form())
    return await _act(
        request, db, invoice_id, service.issue_invoice, actor, invoice_id, version, saved="issued"
    )


@post("/invoices/{invoice_id:int}/send", guards=[manage_invoices])
async def mark_sent(request: AnyRequest, db: AppDb, actor: CurrentActor, invoice_id: FromPath[int]) -> Any:
    return await _act(request, db, invoice_id, service.mark_sent, actor, invoice_id, saved="sent")


@post("/invoices/{invoice_id:int}/discard", guards=[manage_invoices])
async def discard(request: AnyRequest, db: AppDb, actor: CurrentActor, invoice_id: FromPath[int]) -> Any:
    version = _version(await request.form()) or 0
    outcome = await _act(request, db, invoice_id, service.discard_draft, actor, invoice_id, version, saved="")
    return outcome if isinstance(outcome, Template) else see_other("/invoices")


@post("/invoices/{invoice_id:int}/credit", guards=[manage_invoices])
async def credit(request: AnyRequest, db: AppDb, actor: CurrentActor, invoice_id: FromPath[int]) -> Any:
    form = await request.form()
    errors = FormErrors()
    reason = forms.text(form, "reason", 500)
    lines = None
    if form.get("scope") != "all":
        lines = forms.credit_lines(form, (await _view(db, invoice_id)).lines, errors)
    if errors:
        return await show_invoice(request, db, invoice_id, errors, 422)
    return await _act(
        request, db, invoice_id, service.credit_invoice, actor, invoice_id, reason, lines, saved="credited"
    )


@post("/invoices/{invoice_id:int}/payments", guards=[manage_invoices])
async def pay(request: AnyRequest, db: AppDb, actor: CurrentActor, invoice_id: FromPath[int]) -> Any:
    view = await _view(db, invoice_id)
    typed = Typed.read(await request.form(), ("method", "amount", "reference"))
    errors = FormErrors()
    amount = forms.amount(typed, "amount", view.currency, errors)
    if errors or amount is None:
        return await show_invoice(request, db, invoice_id, errors, 422, typed=typed)
    wanted = PaymentInput(
        typed.get("method"), amount, invoice_id=invoice_id, reference=typed.get("reference")
    )
    outcome = await _act(request, db, invoice_id, record_payment, actor, wanted, saved="paid")
    if isinstance(outcome, Template):
        outcome.context["typed"] = typed
    return outcome


@post("/invoices/{invoice_id:int}/refunds", guards=[manage_invoices])
async def refund(request: AnyRequest, db: AppDb, actor: CurrentActor, invoice_id: FromPath[int]) -> Any:
    """Money paid back on the invoice, from its page or from its credit note's (then linked to it)."""
    view = await _view(db, invoice_id)
    typed = Typed.read(await request.form(), forms.REFUND_FIELDS)
    async with db.read() as session:
        target = await views.refundable(session, view)
    errors = FormErrors()
    if target is None:
        errors.add(None, forms.message("not_issued"))
        return await show_invoice(request, db, invoice_id, errors, 422, refund=typed)
    notes = {view.id} if view.kind == rules.Kind.CREDIT_NOTE else {i for i, _ in target.credit_notes}
    amount, note = forms.refund_input(typed, view.currency, notes, errors)
    if errors or amount is None:
        return await show_invoice(request, db, invoice_id, errors, 422, refund=typed)
    wanted = PaymentInput(
        typed.get("refund_method"),
        amount,
        invoice_id=target.invoice_id,
        reason=typed.get("refund_reason"),
        credit_note_id=note,
    )
    try:
        await db.run(record_refund, actor, wanted)
    except InvoiceNotFound:
        raise NotFoundException(f"No invoice {invoice_id}.") from None
    except REFUSED as exc:
        refused = FormErrors()
        if isinstance(exc, InvoiceRejected):
            forms.refund_problems(exc.problems, refused)
        else:
            refused = _refusal(exc)
        return await show_invoice(request, db, invoice_id, refused, 422, refund=typed)
    return see_other(f"/invoices/{invoice_id}?saved=refunded")


ROUTES = [
    invoice_list,
    export_invoices,
    amounts_due,
    invoice_pdf,
    issue,
    mark_sent,
    discard,
    credit,
    pay,
    refund,
]
