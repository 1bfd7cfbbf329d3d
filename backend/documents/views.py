"""Reads of document links: those of an order or of one document, with their opens told as the
pages show them ("opened by the customer 3 times, last 10:42"), and the link behind a token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.documents import rules
from backend.documents.models import DocumentLink, DocumentOpen
from backend.invoicing.models import Invoice


@dataclass(frozen=True)
class LinkView:
    id: int
    kind: str
    subject_id: int
    order_id: int | None
    recipient: str
    opens: int
    last_opened_at: datetime | None
    created_at: datetime
    revoked: bool
    number: str | None  # the invoice's or credit note's


_COLUMNS = (
    DocumentLink.id,
    DocumentLink.kind,
    DocumentLink.subject_id,
    DocumentLink.order_id,
    DocumentLink.recipient,
    DocumentLink.opens,
    DocumentLink.last_opened_at,
    DocumentLink.created_at,
    DocumentLink.revoked_at.is_not(None),
    Invoice.number,
)


def _select():  # noqa: ANN202 - a statement built on, typed by SQLAlchemy
    kinds = (rules.Kind.INVOICE.value, rules.Kind.CREDIT_NOTE.value)
    return select(*_COLUMNS).outerjoin(
        Invoice, (Invoice.id == DocumentLink.subject_id) & DocumentLink.kind.in_(kinds)
    )


async def links_of_order(session: AsyncSession, order_id: int) -> list[LinkView]:
    """The order's documents' links: those naming the order, and those of its invoices."""
    invoices = select(Invoice.id).where(Invoice.order_id == order_id)
    query = _select().where(
        or_(
            DocumentLink.order_id == order_id,
            DocumentLink.kind.in_((rules.Kind.INVOICE, rules.Kind.CREDIT_NOTE))
            & DocumentLink.subject_id.in_(invoices),
        )
    )
    return [LinkView(*row) for row in await session.execute(query.order_by(DocumentLink.id))]


async def links_of(session: AsyncSession, kind: str, subject_id: int) -> list[LinkView]:
    query = _select().where(DocumentLink.kind == kind, DocumentLink.subject_id == subject_id)
    return [LinkView(*row) for row in await session.execute(query.order_by(DocumentLink.id))]


async def link_by_token(session: AsyncSession, token: str) -> LinkView | None:
    """The live link behind a token (None for a wrong or withdrawn one)."""
    if not token or len(token) > rules.MAX_TOKEN:
        return None
    query = _select().where(
        DocumentLink.token_hash == rules.hash_token(token), DocumentLink.revoked_at.is_(None)
    )
    row = (await session.execute(query)).first()
    return LinkView(*row) if row is not None else None


@dataclass(frozen=True)
class OpenView:
    at: datetime
    device: str
    link_id: int | None
    user_id: int | None


async def opens_of_link(session: AsyncSession, link_id: int, limit: int = 20) -> list[OpenView]:
    rows = await session.execute(
        select(DocumentOpen.at, DocumentOpen.device, DocumentOpen.link_id, DocumentOpen.user_id)
        .where(DocumentOpen.link_id == link_id)
        .order_by(DocumentOpen.id.desc())
        .limit(limit)
    )
    return [OpenView(*row) for row in rows]
