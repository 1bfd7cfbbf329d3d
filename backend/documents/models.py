"""Document tables. A link is one document (``kind`` and ``subject_id``: an invoice, a credit note,
an order's packing slip, a delivery stop's proof) for one recipient (a label the staff gave it);
only a hash of its token is kept. Each open is a row: which link (or none: a signed-in person
reading the document in the app), who was signed in, when, and a coarse kind of device. The link
keeps its count and last open, so the pages showing them read one row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.kernel.db import Base, UTCDateTime, utcnow


class DocumentLink(Base):
    __tablename__ = "document_links"
    __table_args__ = (
        Index("ix_document_links_kind_subject_id", "kind", "subject_id"),
        Index("ix_document_links_order_id", "order_id"),
        CheckConstraint("opens >= 0", name="opens_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), default=None)  # shown on its page
    recipient: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    opens: Mapped[int] = mapped_column(Integer, default=0)
    last_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DocumentOpen(Base):
    __tablename__ = "document_opens"
    __table_args__ = (
        Index("ix_document_opens_link_id", "link_id"),
        Index("ix_document_opens_kind_subject_id", "kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_links.id", ondelete="CASCADE"), default=None
    )
    kind: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    device: Mapped[str] = mapped_column(String(16))  # phone, tablet, computer, bot, other
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
