"""Document links against a real database (both engines): a link per recipient with only its
hash kept, each open recorded and counted, link previews not counted, withdrawn links dead, and
each kind drawn by its renderer."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from backend.documents import rules, service, views
from backend.documents.models import DocumentLink, DocumentOpen
from backend.documents.renderers import RENDERERS
from backend.documents.service import DocumentForbidden, DocumentRejected
from backend.kernel.events import Event
from backend.kernel.settings import Settings
from backend.returns import service as returns
from backend.returns.service import Inspection, RefundInput, ReturnRequest, WantedLine
from tests.api.order_fixtures import draft
from tests.domain.conftest import Floor
from tests.returns_fixtures import delivered_order

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def test_devices_are_coarse() -> None:
    assert rules.device_of(PHONE) == "phone"
    assert rules.device_of("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)") == "tablet"
    assert rules.device_of("Mozilla/5.0 (Linux; Android 14; SM-X200) Safari/537.36") == "tablet"
    assert rules.device_of("Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36") == "phone"
    assert rules.device_of("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120") == "computer"
    assert rules.device_of("WhatsApp/2.23.20 A") == "bot"
    assert rules.device_of("") == "other"


def test_tokens_are_long_and_only_hashed() -> None:
    token = rules.new_token()
    assert len(token) >= 43  # 256 bits in base64url
    assert rules.hash_token(token) != token
    assert len(rules.hash_token(token)) == 64


async def test_a_link_records_and_counts_its_opens(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    assert order.invoice_id is not None
    made = await floor.db.run(service.create_link, floor.owner, "invoice", order.invoice_id, "the customer")
    hashed = rules.hash_token(made.token)
    await floor.db.run(service.record_open, hashed, None, "phone")
    await floor.db.run(service.record_open, hashed, None, "bot")  # a messaging app's preview
    opened = await floor.db.run(service.record_open, hashed, floor.owner.user_id, "computer")
    assert opened is not None
    assert opened.opens == 2
    async with floor.db.read() as session:
        stored = await session.get(DocumentLink, made.id)
        devices = list(await session.scalars(select(DocumentOpen.device).order_by(DocumentOpen.id)))
        listed = await views.links_of_order(session, order.order_id)
        events = list(await session.scalars(select(Event.type).where(Event.subject == f"document:{made.id}")))
    assert stored is not None
    assert stored.token_hash == hashed
    assert made.token not in (stored.token_hash, stored.recipient)
    assert devices == ["phone", "bot", "computer"]
    assert [(link.recipient, link.opens, link.order_id) for link in listed] == [
        ("the customer", 2, order.order_id)
    ]
    assert listed[0].last_opened_at is not None
    assert events == ["document.shared", "document.opened", "document.opened"]


async def test_concurrent_opens_all_count(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    made = await floor.db.run(service.create_link, floor.owner, "packing_slip", order.order_id, "Ada")
    hashed = rules.hash_token(made.token)
    await asyncio.gather(*(floor.db.run(service.record_open, hashed, None, "phone") for _ in range(8)))
    async with floor.db.read() as session:
        assert (await session.get(DocumentLink, made.id)).opens == 8  # type: ignore[union-attr]


async def test_a_withdrawn_or_wrong_link_opens_nothing(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    made = await floor.db.run(service.create_link, floor.owner, "packing_slip", order.order_id, "Ada")
    assert await floor.db.run(service.record_open, rules.hash_token("wrong"), None, "phone") is None
    await floor.db.run(service.revoke_link, floor.owner, made.id)
    await floor.db.run(service.revoke_link, floor.owner, made.id)  # twice: no change
    assert await floor.db.run(service.record_open, rules.hash_token(made.token), None, "phone") is None
    async with floor.db.read() as session:
        assert await views.link_by_token(session, made.token) is None
        assert await session.scalar(select(func.count()).select_from(DocumentOpen)) == 0


async def test_what_cannot_be_shared(floor: Floor) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    with pytest.raises(DocumentRejected) as unknown:
        await floor.db.run(service.create_link, floor.owner, "recipe", order.order_id, "Ada")
    assert unknown.value.problems == {"kind": "kind_invalid"}
    with pytest.raises(DocumentRejected) as blank:
        await floor.db.run(service.create_link, floor.owner, "invoice", order.invoice_id, "  ")
    assert blank.value.problems == {"recipient": "recipient_required"}
    with pytest.raises(DocumentRejected) as wrong_kind:  # an invoice is not a credit note
        await floor.db.run(service.create_link, floor.owner, "credit_note", order.invoice_id, "Ada")
    assert wrong_kind.value.problems == {"subject": "not_found"}
    with pytest.raises(DocumentRejected) as no_proof:
        await floor.db.run(service.create_link, floor.owner, "proof_of_delivery", order.order_id, "Ada")
    assert no_proof.value.problems == {"subject": "no_proof"}
    with pytest.raises(DocumentForbidden):
        await floor.db.run(service.create_link, floor.driver, "invoice", order.invoice_id, "Ada")


async def test_the_credit_note_of_a_refunded_return_has_its_own_link(floor: Floor, tmp_path) -> None:
    order = await delivered_order(floor.db, floor.owner, draft())
    asked = await floor.db.run(
        returns.request_return,
        floor.owner,
        ReturnRequest(order.order_id, (WantedLine("APPLE", 1, "damaged"),)),
    )
    await floor.db.run(returns.approve_return, floor.owner, asked.id)
    await floor.db.run(returns.receive_return, floor.owner, asked.id, (Inspection("APPLE", "damaged"),))
    refunded = await floor.db.run(returns.refund_return, floor.owner, asked.id, RefundInput())
    assert refunded.credit_note_id is not None
    made = await floor.db.run(service.create_link, floor.owner, "credit_note", refunded.credit_note_id, "Ada")
    settings = Settings(data_dir=tmp_path, database_url="sqlite://")
    async with floor.db.read() as session:
        link = await views.link_by_token(session, made.token)
        assert link is not None
        assert link.number
        assert link.number.startswith("AV-")
        drawn = await RENDERERS[link.kind](session, link.subject_id, settings)
        listed = await views.links_of_order(session, order.order_id)
    assert drawn is not None
    assert drawn.media_type == "application/pdf"
    assert drawn.content.startswith(b"%PDF")
    assert drawn.filename == f"{link.number}.pdf"
    assert [entry.kind for entry in listed] == ["credit_note"]


async def test_the_packing_slip_is_drawn(floor: Floor, tmp_path) -> None:
    order = await delivered_order(floor.db, floor.owner, draft(), invoiced=False, paid=False)
    settings = Settings(data_dir=tmp_path, database_url="sqlite://")
    async with floor.db.read() as session:
        drawn = await RENDERERS["packing_slip"](session, order.order_id, settings)
        missing = await RENDERERS["proof_of_delivery"](session, order.order_id, settings)
    assert drawn is not None
    assert drawn.content.startswith(b"%PDF")
    assert missing is None  # delivered by status change, with no drop-off recorded
