"""What the documents domain records, one Struct per event type, and the sentence each one reads as.
A document's events name its order when it has one, so that the order's page redraws its list."""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from backend.i18n.translation import N_
from backend.kernel.events import DomainEvent, Sentence, says


class DocumentShared(DomainEvent, tag="document.shared", kw_only=True):
    kind: str
    subject_id: int
    recipient: str
    order_id: int | UnsetType = UNSET


class DocumentOpened(DomainEvent, tag="document.opened", kw_only=True):
    """An open through a recipient's link (``link_id``), with the link's count after it."""

    kind: str
    subject_id: int
    link_id: int
    recipient: str
    opens: int
    device: str
    order_id: int | UnsetType = UNSET


class DocumentRevoked(DomainEvent, tag="document.revoked", kw_only=True):
    kind: str
    subject_id: int
    link_id: int
    recipient: str
    order_id: int | UnsetType = UNSET


EVENTS: tuple[type[DomainEvent], ...] = (DocumentShared, DocumentOpened, DocumentRevoked)

SENTENCES: dict[type[DomainEvent], Sentence] = {
    DocumentShared: says(N_("%(actor)s shared a document with %(recipient)s")),
    DocumentOpened: says(N_("%(recipient)s opened a document (%(opens)s times)")),
    DocumentRevoked: says(N_("%(actor)s withdrew the link of %(recipient)s")),
}
