"""A customer asks for a return: from the order's tracking link (the token is the key) or from
"My orders" (their account), within the return window, choosing units and a reason per line.
The tracking page shows the order's returns and where each stands (``returns/_tracking.html``)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select

from backend.auth.web.guards import PUBLIC, customer_account
from backend.customers.models import Customer
from backend.i18n.translation import N_
from backend.kernel.db import Database
from backend.orders.models import Order
from backend.orders.placing import hash_tracking_token
from backend.orders.rules import Actor
from backend.orders.web.dependencies import CurrentActor
from backend.returns import rules, service, views
from backend.returns.errors import ReturnForbidden, ReturnNotFound, ReturnRejected
from backend.returns.web import forms
from backend.web.dependencies import AppDb
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
NO_ORDER = N_("No order has this link.")
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def _by_token(db: Database, token: str) -> tuple[int, str]:
    if not token or len(token) > 100:
        raise NotFoundException(NO_ORDER)
    async with db.read() as session:
        row = (
            await session.execute(
                select(Order.id, Order.number).where(Order.tracking_token_hash == hash_tracking_token(token))
            )
        ).first()
    if row is None:
        raise NotFoundException(NO_ORDER)
    return row[0], row[1]


async def _own(db: Database, actor: Actor, order_id: int) -> tuple[int, str]:
    async with db.read() as session:
        row = (
            await session.execute(
                select(Order.id, Order.number)
                .join(Customer, Customer.id == Order.customer_id)
                .where(Order.id == order_id, Customer.user_id == actor.user_id)
            )
        ).first()
    if row is None:
        raise NotFoundException(NO_ORDER)
    return row[0], row[1]


async def _ask_page(
    request: AnyRequest,
    db: Database,
    order: tuple[int, str],
    back: str,
    *,
    errors: FormErrors | None = None,
    typed: dict[str, Any] | None = None,
    status: int = 200,
) -> Template:
    order_id, number = order
    async with db.read() as session:
        eligibility = await views.eligibility(session, order_id, datetime.now(UTC))
        found = await views.returns_of_order(session, order_id)
    context = {
        "number": number,
        "back": back,
        "eligibility": eligibility,
        "returns": found,
        "status_labels": rules.STATUS_LABELS,
        "reason_labels": rules.REASON_LABELS,
        "errors": errors or FormErrors(),
        "typed": typed or {},
        "idempotency_key": uuid.uuid4().hex,
    }
    return page(request, "returns/ask.html", context, status_code=status, headers=NO_STORE)


async def _panel(request: AnyRequest, db: Database, order: tuple[int, str], back: str) -> Template:
    async with db.read() as session:
        eligibility = await views.eligibility(session, order[0], datetime.now(UTC))
        found = await views.returns_of_order(session, order[0])
    context = {
        "returns": found,
        "eligibility": eligibility,
        "back": back,
        "status_labels": rules.STATUS_LABELS,
    }
    return page(request, "returns/_tracking_panel.html", context, headers=NO_STORE)


Load = Callable[[], Awaitable[tuple[int, str]]]


class Caller(NamedTuple):
    request: AnyRequest
    db: Database
    actor: Actor


async def _ask(caller: Caller, load: Load, back: str, token: str | None) -> Response[Any] | Template:
    request, db, actor = caller
    order = await load()
    form = dict(await request.form())
    errors = FormErrors()
    async with db.read() as session:
        eligibility = await views.eligibility(session, order[0], datetime.now(UTC))
    lines = forms.wanted_lines(form, [line.sku for line in eligibility.lines], errors)
    if errors:
        return await _ask_page(request, db, order, back, errors=errors, typed=form, status=400)
    wanted = service.ReturnRequest(order[0], lines, forms.text(form, "note", 500), token)
    try:
        await db.run(service.request_return, actor if token is None else Actor(actor.user_id), wanted)
    except (ReturnNotFound, ReturnForbidden):
        raise NotFoundException(NO_ORDER) from None
    except ReturnRejected as exc:
        forms.add_problems(errors, exc.problems)
        return await _ask_page(request, db, order, back, errors=errors, typed=form, status=400)
    return see_other(f"{back}?return=asked")


@get("/t/{token:str}/return", opt=PUBLIC)
async def ask_by_link(request: AnyRequest, db: AppDb, token: FromPath[str]) -> Template:
    return await _ask_page(request, db, await _by_token(db, token), f"/t/{token}")


@post("/t/{token:str}/return", opt=PUBLIC)
async def send_by_link(
    request: AnyRequest, db: AppDb, actor: CurrentActor, token: FromPath[str]
) -> Response[Any] | Template:
    return await _ask(Caller(request, db, actor), lambda: _by_token(db, token), f"/t/{token}", token)


@get("/t/{token:str}/returns", opt=PUBLIC)
async def panel_by_link(request: AnyRequest, db: AppDb, token: FromPath[str]) -> Template:
    return await _panel(request, db, await _by_token(db, token), f"/t/{token}")


MY_ORDER = "/my/orders/{order_id:int}"


@get(MY_ORDER + "/return", guards=[customer_account])
async def ask_own(request: AnyRequest, db: AppDb, actor: CurrentActor, order_id: FromPath[int]) -> Template:
    return await _ask_page(request, db, await _own(db, actor, order_id), f"/my/orders/{order_id}")


@post(MY_ORDER + "/return", guards=[customer_account])
async def send_own(
    request: AnyRequest, db: AppDb, actor: CurrentActor, order_id: FromPath[int]
) -> Response[Any] | Template:
    return await _ask(
        Caller(request, db, actor), lambda: _own(db, actor, order_id), f"/my/orders/{order_id}", None
    )


@get(MY_ORDER + "/returns", guards=[customer_account])
async def panel_own(request: AnyRequest, db: AppDb, actor: CurrentActor, order_id: FromPath[int]) -> Template:
    return await _panel(request, db, await _own(db, actor, order_id), f"/my/orders/{order_id}")


ROUTES = [ask_by_link, send_by_link, panel_by_link, ask_own, send_own, panel_own]
