"""Invoice and payment endpoints of the JSON API: drafts (from an order or from scratch), issue,
read, the Factur-X PDF, credit notes, payments and refunds. Each change is one command, so it is
idempotent under ``Idempotency-Key`` and version-checked where the client names a version."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, get, post
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.invoicing import service, views
from backend.invoicing.errors import InvoiceConflict, InvoiceForbidden, InvoiceNotFound, InvoiceRejected
from backend.invoicing.payments import PaymentInput, PaymentRef, record_payment, record_refund
from backend.invoicing.service import CreditLine, InvoiceRef
from backend.invoicing.web import convert, documents
from backend.invoicing.web.schemas import (
    CREDIT_EXAMPLE,
    CREDIT_IN_EXAMPLE,
    INVOICE_EXAMPLE,
    INVOICE_IN_EXAMPLE,
    ISSUED_EXAMPLE,
    PAYMENT_EXAMPLE,
    PAYMENT_IN_EXAMPLE,
    REF_EXAMPLE,
    REFUND_IN_EXAMPLE,
    CreditNoteIn,
    InvoiceIn,
    InvoiceOut,
    InvoiceRefOut,
    IssueIn,
    PaymentIn,
    PaymentOut,
    PaymentRefundIn,
)
from backend.orders.web.dependencies import CurrentActor
from backend.web.api_contract import RowId, answers, request_body
from backend.web.dependencies import AppDb
from backend.web.responses import problem

manage_invoices = requires(Permission.INVOICES_MANAGE)
PDF_ANSWER = ResponseSpec(
    data_container=bytes, media_type="application/pdf", description="The PDF", generate_examples=False
)
REFUSALS = (InvoiceRejected, InvoiceConflict, InvoiceForbidden, InvoiceNotFound)


def refused(exc: Exception) -> Response[Any]:
    """The answer to an invoicing command that wrote nothing."""
    if isinstance(exc, InvoiceRejected):
        found = convert.problems(exc.problems)
        return problem(422, found[0]["message"], errors=found)
    if isinstance(exc, InvoiceConflict):
        current = exc.current
        return problem(
            409,
            convert.message(exc.code),
            code=exc.code,
            current_version=current.version,
            current_status=current.status,
        )
    if isinstance(exc, InvoiceForbidden):
        return problem(403)
    if isinstance(exc, InvoiceNotFound):
        raise NotFoundException(f"No invoice {exc.args[0]}.") from None
    raise exc


def _ref(made: InvoiceRef) -> InvoiceRefOut:
    return InvoiceRefOut(
        made.id, made.kind, made.status, made.number, made.total_minor, made.currency, made.version
    )


def _payment(made: PaymentRef) -> PaymentOut:
    return PaymentOut(
        made.id,
        made.kind,
        made.order_id,
        made.invoice_id,
        made.amount_minor,
        made.currency,
        made.balance_minor,
    )


@post(
    "/invoices",
    guards=[manage_invoices],
    summary="Draft an invoice: from an order, or for a customer from lines",
    status_code=201,
    responses=answers(201, InvoiceRefOut, 404, writes=True, example=REF_EXAMPLE, description="The draft"),
)
async def create_invoice(
    db: AppDb, actor: CurrentActor, data: Annotated[InvoiceIn, request_body(INVOICE_IN_EXAMPLE)]
) -> Any:
    """The same ``client_ref`` again (an offline draft sent twice) answers the first draft."""
    try:
        command, args = convert.draft_command(data)
        return _ref(await db.run(command, actor, *args))
    except REFUSALS as exc:
        return refused(exc)


@post(
    "/invoices/{invoice_id:int}/issue",
    guards=[manage_invoices],
    summary="Issue a draft: it takes the next number of its series and year",
    status_code=200,
    responses=answers(200, InvoiceRefOut, 404, writes=True, example=ISSUED_EXAMPLE, description="Issued"),
)
async def issue_invoice(
    db: AppDb,
    actor: CurrentActor,
    invoice_id: RowId,
    data: Annotated[IssueIn | None, request_body({"version": 1})] = None,
) -> Any:
    """Issuing an issued invoice changes nothing and answers it as it is."""
    version = data.version if data else None
    try:
        return _ref(await db.run(service.issue_invoice, actor, invoice_id, version))
    except REFUSALS as exc:
        return refused(exc)


@get(
    "/invoices/{invoice_id:int}",
    guards=[manage_invoices],
    summary="One invoice or credit note, whole",
    responses=answers(200, InvoiceOut, 404, example=INVOICE_EXAMPLE, description="The invoice"),
)
async def get_invoice(db: AppDb, invoice_id: RowId) -> Any:
    async with db.read() as session:
        view = await views.invoice_view(session, invoice_id)
    if view is None:
        raise NotFoundException(f"No invoice {invoice_id}.")
    return convert.invoice_out(view)


@get(
    "/invoices/{invoice_id:int}/pdf",
    guards=[manage_invoices],
    summary="The invoice as a Factur-X PDF (EN 16931; a draft: a plain preview marked as such)",
    media_type="application/pdf",
    responses={**answers(200, bytes, 404), 200: PDF_ANSWER},
)
async def invoice_pdf(db: AppDb, invoice_id: RowId) -> Response[bytes]:
    async with db.read() as session:
        view = await views.invoice_view(session, invoice_id)
    if view is None:
        raise NotFoundException(f"No invoice {invoice_id}.")
    body = documents.pdf_of(view)
    name = view.number or f"draft-{view.id}"
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


@post(
    "/invoices/{invoice_id:int}/credit-notes",
    guards=[manage_invoices],
    summary="Credit an issued invoice, in part (lines) or whole: a credit note of its own series",
    status_code=201,
    responses=answers(
        201, InvoiceRefOut, 404, writes=True, example=CREDIT_EXAMPLE, description="The credit note"
    ),
)
async def credit_invoice(
    db: AppDb,
    actor: CurrentActor,
    invoice_id: RowId,
    data: Annotated[CreditNoteIn, request_body(CREDIT_IN_EXAMPLE)],
) -> Any:
    lines = None if data.lines is None else tuple(CreditLine(ln.position, ln.quantity) for ln in data.lines)
    try:
        return _ref(await db.run(service.credit_invoice, actor, invoice_id, data.reason, lines))
    except REFUSALS as exc:
        return refused(exc)


@post(
    "/payments",
    guards=[manage_invoices],
    summary="Record a payment against an order or an invoice (more than owed is kept as credit)",
    status_code=201,
    responses=answers(201, PaymentOut, 404, writes=True, example=PAYMENT_EXAMPLE, description="The payment"),
)
async def create_payment(
    db: AppDb, actor: CurrentActor, data: Annotated[PaymentIn, request_body(PAYMENT_IN_EXAMPLE)]
) -> Any:
    wanted = PaymentInput(
        data.method, data.amount_minor, order_id=data.order, invoice_id=data.invoice, reference=data.reference
    )
    try:
        return _payment(await db.run(record_payment, actor, wanted))
    except REFUSALS as exc:
        return refused(exc)


@post(
    "/refunds",
    guards=[manage_invoices],
    summary="Record a refund (never more than was paid), linked to the credit note it pays back",
    status_code=201,
    responses=answers(201, PaymentOut, 404, writes=True, example=PAYMENT_EXAMPLE, description="The refund"),
)
async def create_refund(
    db: AppDb, actor: CurrentActor, data: Annotated[PaymentRefundIn, request_body(REFUND_IN_EXAMPLE)]
) -> Any:
    wanted = PaymentInput(
        data.method,
        data.amount_minor,
        order_id=data.order,
        invoice_id=data.invoice,
        reference=data.reference,
        reason=data.reason,
        credit_note_id=data.credit_note,
    )
    try:
        return _payment(await db.run(record_refund, actor, wanted))
    except REFUSALS as exc:
        return refused(exc)


ROUTES = [
    create_invoice,
    issue_invoice,
    get_invoice,
    invoice_pdf,
    credit_invoice,
    create_payment,
    create_refund,
]
