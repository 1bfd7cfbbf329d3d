"""Proofs of drop-off, served to who may see them only: the owner and staff, the run's driver,
the order's customer signed in (``/deliveries/proofs/<hash>``), or whoever holds the order's
tracking link (``/t/<token>/proof/<hash>``, the proof must belong to that order). Anything else
is a 404, so a hash says nothing about whether a proof exists. The order's drop-offs and
failures are shown on its page (``/deliveries/orders/<id>/proofs``, loaded into the order page)."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select

from backend.auth.rules import Permission
from backend.auth.web.guards import PUBLIC, requires, signed_in
from backend.delivery import proofs, reads, rules
from backend.delivery.web.common import proof_url
from backend.kernel.db import Database
from backend.orders.models import Order
from backend.orders.placing import hash_tracking_token
from backend.orders.web.dependencies import CurrentActor
from backend.web.dependencies import AppDb, AppSettings
from backend.web.responses import page

AnyRequest = Request[Any, Any, Any]
PRIVATE = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}


async def _file(settings: Any, digest: str) -> Response[bytes]:
    found = await asyncio.to_thread(proofs.read, settings.delivery_proof_dir, digest)
    if found is None:
        raise NotFoundException()
    content, media_type = found
    return Response(content, media_type=media_type, headers=PRIVATE)


@get("/deliveries/proofs/{digest:str}", guards=[signed_in])
async def proof(
    db: AppDb, actor: CurrentActor, settings: AppSettings, digest: FromPath[str]
) -> Response[bytes]:
    if not proofs.HASH.match(digest):
        raise NotFoundException()
    async with db.read() as session:
        holders = await reads.proof_holders(session, digest)
    if not holders or not rules.may_see_proof(actor, holders):
        raise NotFoundException()
    return await _file(settings, digest)


async def tracked_proof(db: Database, token: str, digest: str) -> bool:
    """Whether ``digest`` is a proof of the order this tracking link points at (for the tracking
    page: it links ``/t/<token>/proof/<hash>`` for each of ``reads.proofs_of_order``)."""
    if not token or len(token) > 100 or not proofs.HASH.match(digest):
        return False
    async with db.read() as session:
        order_id = await session.scalar(
            select(Order.id).where(Order.tracking_token_hash == hash_tracking_token(token))
        )
        if order_id is None:
            return False
        found = await reads.proofs_of_order(session, order_id)
    return any(digest in (p.photo_hash, p.signature_hash) for p in found)


@get("/t/{token:str}/proof/{digest:str}", opt=PUBLIC)
async def tracking_proof(
    db: AppDb, settings: AppSettings, token: FromPath[str], digest: FromPath[str]
) -> Response[bytes]:
    if not await tracked_proof(db, token, digest):
        raise NotFoundException()
    return await _file(settings, digest)


@get("/deliveries/orders/{order_id:int}/proofs", guards=[requires(Permission.ORDERS_VIEW)])
async def order_proofs(request: AnyRequest, db: AppDb, order_id: FromPath[int]) -> Template:
    """The order's drop-offs and failures, for its page (loaded into it, and again live)."""
    async with db.read() as session:
        found = await reads.proofs_of_order(session, order_id)
    context = {"order_id": order_id, "proofs": found, "proof_url": proof_url, "reasons": rules.FAILURE_LABELS}
    return page(request, "delivery/_order_proofs.html", context)


ROUTES = [proof, tracking_proof, order_proofs]
