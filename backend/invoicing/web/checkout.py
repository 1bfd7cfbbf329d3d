"""Online card payment (``invoicing/providers.py``): a payment link for an order's or an
invoice's balance, from the API and the invoice page, and the provider's signed webhook, which
records the payment once. With no provider configured the link answers 409 and the webhook 404."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import PUBLIC, requires
from backend.invoicing import views
from backend.invoicing.errors import InvoiceRejected
from backend.invoicing.payments import PaymentInput, order_balance, record_online
from backend.invoicing.providers import PaymentProvider, ProviderRejected
from backend.invoicing.reactions import SHOP
from backend.invoicing.web import convert, pages
from backend.invoicing.web.schemas import CHECKOUT_EXAMPLE, CHECKOUT_IN_EXAMPLE, CheckoutIn, CheckoutOut
from backend.web.api_contract import answers, request_body
from backend.web.dependencies import GIVEN, AppDb, AppSettings, from_state
from backend.web.plugin import API_PREFIX
from backend.web.responses import FormErrors, problem

log = logging.getLogger("comptoir.invoicing")
AnyRequest = Request[Any, Any, Any]
manage_invoices = requires(Permission.INVOICES_MANAGE)
PROVIDER = "payment_provider"
Provider = Annotated[NamedDependency[PaymentProvider | None], GIVEN]


async def _due(db: Any, order: int | None, invoice: int | None) -> tuple[str, int, str, str] | None:
    """(target, balance, currency, label) of what is to be paid; None when it does not exist."""
    async with db.read() as session:
        if invoice is not None:
            view = await views.invoice_view(session, invoice)
            if view is None or view.number is None or view.kind != "invoice":
                return None
            return f"invoice:{invoice}", view.balance_minor, view.currency, view.number
        balance = await order_balance(session, order or 0)
    if balance is None:
        return None
    return f"order:{order}", balance.balance_minor, balance.currency, f"Order {order}"


async def _link(provider: PaymentProvider, due: tuple[str, int, str, str], origin: str) -> CheckoutOut:
    target, amount, currency, label = due
    link = await asyncio.to_thread(provider.checkout, amount, currency, target, label, f"{origin}/shop")
    return CheckoutOut(link.url, amount, currency)


@post(
    "/payments/checkout",
    guards=[manage_invoices],
    summary="A card payment link (Stripe Checkout) for an order's or an invoice's balance",
    status_code=201,
    responses=answers(201, CheckoutOut, 404, writes=True, example=CHECKOUT_EXAMPLE, description="The link"),
)
async def create_checkout(
    db: AppDb,
    settings: AppSettings,
    payment_provider: Provider,
    data: Annotated[CheckoutIn, request_body(CHECKOUT_IN_EXAMPLE)],
) -> Any:
    if (data.order is None) == (data.invoice is None):
        return problem(
            422, convert.message("target_required"), errors=convert.problems({"target": "target_required"})
        )
    due = await _due(db, data.order, data.invoice)
    if due is None:
        raise NotFoundException("No such order or invoice.")
    if payment_provider is None:
        return problem(409, "Online payment is not configured.", code="no_provider")
    if due[1] <= 0:
        return problem(
            422, convert.message("nothing_due"), errors=convert.problems({"target": "nothing_due"})
        )
    return await _link(payment_provider, due, settings.origin)


@post("/invoices/{invoice_id:int}/checkout", guards=[manage_invoices])
async def invoice_checkout(
    request: AnyRequest,
    db: AppDb,
    settings: AppSettings,
    payment_provider: Provider,
    invoice_id: FromPath[int],
) -> Template:
    """The invoice's page with the link to give the customer (copy or the phone's share sheet)."""
    due = await _due(db, None, invoice_id)
    errors = FormErrors()
    if due is None:
        raise NotFoundException(f"No invoice {invoice_id}.")
    if payment_provider is None or due[1] <= 0:
        errors.add(None, convert.message("nothing_due" if payment_provider else "no_provider"))
        return await pages.show_invoice(request, db, invoice_id, errors, 409)
    shown = await pages.show_invoice(request, db, invoice_id)
    shown.context["checkout_url"] = (await _link(payment_provider, due, settings.origin)).url
    return shown


@get("/invoices/{invoice_id:int}", guards=[manage_invoices])
async def invoice_page(
    request: AnyRequest, db: AppDb, payment_provider: Provider, invoice_id: FromPath[int]
) -> Template:
    """The invoice (``pages.show_invoice``), offering a card payment link when a provider is set up."""
    shown = await pages.show_invoice(request, db, invoice_id)
    shown.context["online_payment"] = payment_provider is not None
    return shown


@post("/stripe", opt=PUBLIC, include_in_schema=False, status_code=200)
async def stripe_webhook(request: AnyRequest, db: AppDb, payment_provider: Provider) -> Any:
    """Stripe's notices, signed (``Stripe-Signature``): a paid Checkout session is recorded once."""
    if payment_provider is None:
        raise NotFoundException()
    try:
        paid = payment_provider.confirmed(await request.body(), request.headers.get("stripe-signature", ""))
    except ProviderRejected as exc:
        return problem(400, f"Not a signed notice: {exc}")
    if paid is None:
        return {"received": True}
    wanted = PaymentInput("card", paid.amount_minor, reference=paid.reference, provider_ref=paid.provider_ref)
    try:
        await db.run(record_online, SHOP, paid.target, wanted, paid.currency)
    except InvoiceRejected as exc:  # told again it would be refused again: logged, not retried
        log.error("stripe payment %s for %s not recorded: %s", paid.provider_ref, paid.target, exc.problems)
    return {"received": True}


# The provider's own endpoint: public (signed), outside the API's token guards and schema.
WEBHOOKS = Router(path=f"{API_PREFIX}/webhooks", route_handlers=[stripe_webhook], include_in_schema=False)
API_ROUTES = [create_checkout]
PAGE_ROUTES = [invoice_page, invoice_checkout]
DEPENDENCIES = {PROVIDER: from_state(PROVIDER)}
