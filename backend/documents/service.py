"""Document commands, each a plain ``fn(tx, …)`` run with ``await db.run(fn, …)``: share a document
with a recipient (a new link, its token returned once and only its hash kept), withdraw a link,
and record an open.

An open is written on the way to the document: the link's count and last open move in the same
transaction as the open's row and its event, so the pages showing "opened 3 times" never
disagree with the list of opens. A link preview (a messaging app fetching the page to draw a
card) is recorded but counted as nobody's open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from backend.delivery.models import RunStop, StopOrder
from backend.delivery.rules import StopStatus
from backend.documents import events, rules
from backend.documents.models import DocumentLink, DocumentOpen
from backend.documents.rules import Device, Kind
from backend.invoicing.models import Invoice
from backend.invoicing.rules import InvoiceStatus
from backend.kernel.events import record
from backend.kernel.tx import Tx
from backend.orders.models import Order
from backend.orders.rules import Actor

__all__ = ["LinkMade", "Opened", "create_link", "record_open", "revoke_link"]


class DocumentRejected(Exception):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


class DocumentForbidden(Exception):
    """The person may not share this kind of document."""


@dataclass(frozen=True)
class LinkMade:
    id: int
    kind: str
    subject_id: int
    order_id: int | None
    recipient: str
    token: str  # shown once: only its hash is kept


@dataclass(frozen=True)
class Opened:
    link_id: int | None
    kind: str
    subject_id: int
    opens: int


def _order_of(tx: Tx, kind: Kind, subject_id: int) -> int | None:
    """The order the document belongs to (None: an invoice typed from scratch); raises when the
    document does not exist or is not one that can be shared yet."""
    if kind in (Kind.INVOICE, Kind.CREDIT_NOTE):
        invoice = tx.session.get(Invoice, subject_id)
        if invoice is None or invoice.kind != kind.value:
            raise DocumentRejected({"subject": "not_found"})
        if invoice.status == InvoiceStatus.DRAFT:
            raise DocumentRejected({"subject": "not_issued"})
        return invoice.order_id
    if tx.session.get(Order, subject_id) is None:
        raise DocumentRejected({"subject": "not_found"})
    if kind == Kind.PROOF_OF_DELIVERY:
        proved = tx.session.scalar(
            select(RunStop.id)
            .join(StopOrder, StopOrder.stop_id == RunStop.id)
            .where(StopOrder.order_id == subject_id, RunStop.status == StopStatus.DELIVERED)
            .limit(1)
        )
        if proved is None:
            raise DocumentRejected({"subject": "no_proof"})
    return subject_id


def create_link(tx: Tx, actor: Actor, kind: str, subject_id: int, recipient: str) -> LinkMade:
    if kind not in Kind.__members__.values():
        raise DocumentRejected({"kind": "kind_invalid"})
    if not actor.can(rules.SHARED_BY[kind]):
        raise DocumentForbidden
    if problem := rules.recipient_problem(recipient):
        raise DocumentRejected({"recipient": problem})
    order_id = _order_of(tx, Kind(kind), subject_id)
    token = rules.new_token()
    link = DocumentLink(
        kind=kind,
        subject_id=subject_id,
        order_id=order_id,
        recipient=recipient.strip(),
        token_hash=rules.hash_token(token),
        opens=0,
        created_by_id=actor.user_id,
    )
    tx.session.add(link)
    tx.session.flush()
    extra = {"order_id": order_id} if order_id is not None else {}
    shared = events.DocumentShared(kind=kind, subject_id=subject_id, recipient=link.recipient, **extra)
    record(tx, shared, f"document:{link.id}", actor.user_id)
    return LinkMade(link.id, kind, subject_id, order_id, link.recipient, token)


def revoke_link(tx: Tx, actor: Actor, link_id: int) -> None:
    """The link opens nothing any more (its opens stay). Withdrawing one twice changes nothing."""
    link = tx.session.get(DocumentLink, link_id)
    if link is None:
        raise DocumentRejected({"link": "not_found"})
    if not actor.can(rules.SHARED_BY[link.kind]):
        raise DocumentForbidden
    if link.revoked_at is not None:
        return
    link.revoked_at = datetime.now(UTC)
    extra = {"order_id": link.order_id} if link.order_id is not None else {}
    revoked = events.DocumentRevoked(
        kind=link.kind, subject_id=link.subject_id, link_id=link.id, recipient=link.recipient, **extra
    )
    record(tx, revoked, f"document:{link.id}", actor.user_id)


def record_open(
    tx: Tx, token_hash: str, user_id: int | None, device: str, by_staff: bool = False
) -> Opened | None:
    """An open through a link (None: no live link has this hash, and nothing is written). One by
    the team (checking the link before sending it) is kept but not counted as the recipient's."""
    link = tx.session.scalars(
        select(DocumentLink).where(DocumentLink.token_hash == token_hash, DocumentLink.revoked_at.is_(None))
    ).first()
    if link is None:
        return None
    now = datetime.now(UTC)
    tx.session.add(
        DocumentOpen(
            link_id=link.id,
            kind=link.kind,
            subject_id=link.subject_id,
            user_id=user_id,
            device=device,
            at=now,
        )
    )
    if by_staff or not rules.counts(Device(device)):
        return Opened(link.id, link.kind, link.subject_id, link.opens)
    # One statement: two opens at the same moment both count.
    opens = tx.session.execute(
        update(DocumentLink)
        .where(DocumentLink.id == link.id)
        .values(opens=DocumentLink.opens + 1, last_opened_at=now)
        .returning(DocumentLink.opens)
    ).scalar_one()
    extra = {"order_id": link.order_id} if link.order_id is not None else {}
    opened = events.DocumentOpened(
        kind=link.kind,
        subject_id=link.subject_id,
        link_id=link.id,
        recipient=link.recipient,
        opens=opens,
        device=device,
        **extra,
    )
    record(tx, opened, f"document:{link.id}", user_id)
    return Opened(link.id, link.kind, link.subject_id, opens)


def record_reading(tx: Tx, kind: str, subject_id: int, user_id: int, device: str) -> None:
    """A signed-in person reading a document in the app (no link): kept with the opens, not
    counted as a recipient's."""
    tx.session.add(
        DocumentOpen(kind=kind, subject_id=subject_id, user_id=user_id, device=device, at=datetime.now(UTC))
    )
