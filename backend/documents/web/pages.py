"""Documents shared by link: the recipient's link (``/d/<token>``, public: the token is the key),
which records the open and then serves the document drawn by its kind's renderer; and the team's
panel of an order's (or one document's) links, where links are made, handed on (copied, or the
phone's share sheet) and withdrawn.

A recipient's link is never indexed and never passes itself on as a referrer; the document is
served for this one reader (``no-store``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.rules import Permission
from backend.auth.web.guards import PUBLIC, requires
from backend.delivery.reads import proofs_of_order
from backend.delivery.rules import StopStatus
from backend.documents import mail, rules, service, views
from backend.documents.renderers import RENDERERS
from backend.documents.rules import Kind
from backend.i18n.translation import N_, gettext
from backend.invoicing.models import Invoice
from backend.invoicing.rules import InvoiceStatus
from backend.kernel.db import Database
from backend.kernel.settings import Settings
from backend.ops.head import method_asked
from backend.orders.models import Order
from backend.orders.rules import Actor, OrderStatus
from backend.orders.web.dependencies import CurrentActor
from backend.web import inputs
from backend.web.dependencies import AppDb, AppSettings
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
log = logging.getLogger("comptoir.documents")
view_orders = requires(Permission.ORDERS_VIEW)
PRIVATE = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
NO_DOCUMENT = N_("This link opens no document: it was withdrawn, or it is not whole.")
# Orders whose goods were packed: their packing slip exists.
PACKED = frozenset(
    {
        OrderStatus.PACKED,
        OrderStatus.OUT_FOR_DELIVERY,
        OrderStatus.SHIPPED,
        OrderStatus.READY_FOR_PICKUP,
        OrderStatus.DELIVERED,
        OrderStatus.PICKED_UP,
        OrderStatus.DELIVERY_FAILED,
    }
)


@get("/d/{token:str}", opt=PUBLIC)
async def open_document(
    request: AnyRequest, db: AppDb, settings: AppSettings, actor: CurrentActor, token: FromPath[str]
) -> Response[bytes]:
    async with db.read() as session:
        link = await views.link_by_token(session, token)
    if link is None:
        raise NotFoundException(NO_DOCUMENT, headers=PRIVATE)
    # A HEAD (a link checker, a preview) is kept as a preview's: never the recipient's open.
    asked_head = method_asked(request.scope) == "HEAD"
    device = rules.Device.BOT if asked_head else rules.device_of(request.headers.get("user-agent"))
    by_staff = actor.user_id is not None and not actor.is_customer
    opened = await db.run(service.record_open, rules.hash_token(token), actor.user_id, device.value, by_staff)
    if opened is None:  # withdrawn in the meantime
        raise NotFoundException(NO_DOCUMENT, headers=PRIVATE)
    async with db.read() as session:
        drawn = await RENDERERS[link.kind](session, link.subject_id, settings)
    if drawn is None:
        raise NotFoundException(NO_DOCUMENT, headers=PRIVATE)
    disposition = f'inline; filename="{drawn.filename}"'
    return Response(
        drawn.content, media_type=drawn.media_type, headers={**PRIVATE, "Content-Disposition": disposition}
    )


# -- the team's panel ------------------------------------------------------------------------------


async def _shareable(session: AsyncSession, order_id: int) -> list[tuple[str, int, str]]:
    """(kind, subject id, what the person reads) of each document of the order that can be shared."""
    found: list[tuple[str, int, str]] = []
    invoices = await session.execute(
        select(Invoice.id, Invoice.kind, Invoice.number)
        .where(Invoice.order_id == order_id, Invoice.status != InvoiceStatus.DRAFT)
        .order_by(Invoice.id)
    )
    for invoice_id, kind, number in invoices:
        found.append((kind, invoice_id, f"{gettext(rules.KIND_LABELS[kind])} {number}"))
    status = await session.scalar(select(Order.status).where(Order.id == order_id))
    if status in PACKED:
        found.append((Kind.PACKING_SLIP, order_id, gettext(rules.KIND_LABELS[Kind.PACKING_SLIP])))
    if any(proof.status == StopStatus.DELIVERED for proof in await proofs_of_order(session, order_id)):
        found.append((Kind.PROOF_OF_DELIVERY, order_id, gettext(rules.KIND_LABELS[Kind.PROOF_OF_DELIVERY])))
    return found


def _labels() -> dict[str, Any]:
    return {"kind_labels": rules.KIND_LABELS, "device_labels": rules.DEVICE_LABELS}


async def _order_panel(
    request: AnyRequest,
    db: Database,
    actor: Actor,
    order_id: int,
    *,
    made: service.LinkMade | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
    mailing: Mailing | None = None,
) -> Template:
    async with db.read() as session:
        if await session.get(Order, order_id) is None:
            raise NotFoundException()
        links = await views.links_of_order(session, order_id)
        shareable = [
            item for item in await _shareable(session, order_id) if actor.can(rules.SHARED_BY[item[0]])
        ]
    context = {
        **_labels(),
        "panel_id": f"order-documents-{order_id}",
        "links": [link for link in links if actor.can(rules.SHARED_BY[link.kind])],
        "shareable": shareable,
        "made": made,
        "made_url": _url(request, made),
        "errors": errors or FormErrors(),
        "back": f"/orders/{order_id}",
        "mail": mailing or Mailing(),
    }
    return page(
        request, "documents/panel_page.html", context, fragment="documents/_panel.html", status_code=status
    )


def _url(request: AnyRequest, made: service.LinkMade | None) -> str | None:
    return str(request.url.with_replacements(path=f"/d/{made.token}", query="")) if made else None


@get("/orders/{order_id:int}/documents", guards=[view_orders])
async def order_documents(
    request: AnyRequest, db: AppDb, settings: AppSettings, actor: CurrentActor, order_id: FromPath[int]
) -> Template:
    return await _order_panel(request, db, actor, order_id, mailing=Mailing(bool(settings.smtp_url)))


async def _subject_panel(
    request: AnyRequest,
    db: Database,
    actor: Actor,
    kind: str,
    subject_id: int,
    *,
    made: service.LinkMade | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
    mailing: Mailing | None = None,
) -> Template:
    if kind not in rules.SHARED_BY:
        raise NotFoundException()
    if not actor.can(rules.SHARED_BY[kind]):
        raise PermissionDeniedException()
    async with db.read() as session:
        links = await views.links_of(session, kind, subject_id)
    context = {
        **_labels(),
        "panel_id": f"documents-{kind}-{subject_id}",
        "links": links,
        "shareable": [(kind, subject_id, gettext(rules.KIND_LABELS[kind]))],
        "made": made,
        "made_url": _url(request, made),
        "errors": errors or FormErrors(),
        "back": f"/documents/{kind}/{subject_id}",
        "mail": mailing or Mailing(),
    }
    return page(
        request, "documents/panel_page.html", context, fragment="documents/_panel.html", status_code=status
    )


@get("/documents/{kind:str}/{subject_id:int}", guards=[view_orders])
async def subject_documents(
    request: AnyRequest,
    *,
    db: AppDb,
    settings: AppSettings,
    actor: CurrentActor,
    kind: FromPath[str],
    subject_id: FromPath[int],
) -> Template:
    """One document's links (an invoice's page shows them: ``documents/_subject_slot.html``)."""
    return await _subject_panel(
        request, db, actor, kind, subject_id, mailing=Mailing(bool(settings.smtp_url))
    )


def _back_panel(back: str) -> tuple[str, int] | tuple[str, str, int] | None:
    parts = back.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "orders" and (order_id := inputs.parse_id(parts[1])):
        return ("order", order_id)
    if len(parts) == 3 and parts[0] == "documents" and (subject_id := inputs.parse_id(parts[2])):
        return ("subject", parts[1], subject_id)
    return None


async def _answer(request: AnyRequest, db: Database, actor: Actor, back: str, **shown: Any) -> Template:
    where = _back_panel(back)
    if where is None:
        raise NotFoundException()
    if where[0] == "order":
        return await _order_panel(request, db, actor, where[1], **shown)  # type: ignore[arg-type]
    return await _subject_panel(request, db, actor, where[1], where[2], **shown)  # type: ignore[arg-type,misc]


@dataclass(frozen=True)
class Mailing:
    """Whether the panel offers to e-mail the link, and what became of the last one sent."""

    enabled: bool = False
    sent_to: str = ""
    failed: bool = False


async def _mail(request: AnyRequest, settings: Settings, made: service.LinkMade, to: str) -> Mailing:
    """E-mail the link just made (never the file); a failure leaves the link to copy by hand."""
    kind = gettext(rules.KIND_LABELS[made.kind])
    letter = mail.Letter(
        to,
        gettext(N_("%(document)s from %(shop)s"), document=kind, shop=request.url.hostname or ""),
        gettext(N_("Your document: %(url)s"), url=_url(request, made)),
    )
    try:
        await mail.send_link(settings.smtp_url, settings.smtp_from, letter)
    except mail.MailFailed as exc:
        log.warning("the link of document %s was not e-mailed: %s", made.id, exc)
        return Mailing(True, to, failed=True)
    return Mailing(True, to)


@post("/documents/links", guards=[view_orders])
async def share_document(
    request: AnyRequest, db: AppDb, settings: AppSettings, actor: CurrentActor
) -> Template:
    form = await request.form()
    back = str(form.get("back") or "")
    kind, _, subject = str(form.get("document") or "").partition(":")
    subject_id = inputs.parse_id(subject) or 0
    recipient = str(form.get("recipient") or "")[: rules.MAX_RECIPIENT + 1]
    to = str(form.get("email") or "").strip() if settings.smtp_url else ""
    errors = FormErrors()
    if to and mail.address_problem(to):
        errors.add("email", gettext(rules.MESSAGES["email_invalid"]))
        return await _answer(request, db, actor, back, errors=errors, status=400, mailing=Mailing(True))
    try:
        made = await db.run(service.create_link, actor, kind, subject_id, recipient)
    except service.DocumentForbidden:
        raise PermissionDeniedException() from None
    except service.DocumentRejected as exc:
        for key, code in exc.problems.items():
            errors.add("recipient" if key == "recipient" else None, gettext(rules.MESSAGES[code]))
        return await _answer(
            request, db, actor, back, errors=errors, status=400, mailing=Mailing(bool(settings.smtp_url))
        )
    mailing = await _mail(request, settings, made, to) if to else Mailing(bool(settings.smtp_url))
    return await _answer(request, db, actor, back, made=made, mailing=mailing)


@post("/documents/links/{link_id:int}/revoke", guards=[view_orders])
async def revoke_document(
    request: AnyRequest, db: AppDb, actor: CurrentActor, link_id: FromPath[int]
) -> Response[Any] | Template:
    form = await request.form()
    back = str(form.get("back") or "")
    try:
        await db.run(service.revoke_link, actor, link_id)
    except service.DocumentForbidden:
        raise PermissionDeniedException() from None
    except service.DocumentRejected:
        raise NotFoundException() from None
    if _back_panel(back) is None:
        raise NotFoundException()
    if request.headers.get("hx-request"):
        return await _answer(request, db, actor, back)
    return see_other(back if back.startswith("/orders/") else "/")


ROUTES = [open_document, order_documents, subject_documents, share_document, revoke_document]
