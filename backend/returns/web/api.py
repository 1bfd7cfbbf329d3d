"""Return endpoints of the JSON API: ask for a return, read one or the list, and the shop's moves
(approve, refuse, receive, refund), each version-checked and answering the return as it now is."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.kernel.db import Database
from backend.orders.web.dependencies import CurrentActor
from backend.returns import service, views
from backend.returns.errors import ReturnConflict, ReturnForbidden, ReturnNotFound, ReturnRejected
from backend.returns.rules import ReturnStatus
from backend.returns.web.forms import message
from backend.returns.web.schemas import (
    MOVE_EXAMPLE,
    RECEIVE_EXAMPLE,
    REFUND_EXAMPLE,
    RETURN_EXAMPLE,
    RETURN_IN_EXAMPLE,
    RETURN_LIST_EXAMPLE,
    MoveIn,
    ReceiveIn,
    ReturnIn,
    ReturnLineOut,
    ReturnListOut,
    ReturnOut,
    ReturnRefundIn,
)
from backend.web.api_contract import RowId, answers, request_body
from backend.web.dependencies import AppDb
from backend.web.responses import problem

manage_returns = requires(Permission.RETURNS_MANAGE)
REFUSALS = (ReturnRejected, ReturnConflict, ReturnForbidden, ReturnNotFound)


def refused(exc: Exception) -> Any:
    """The answer to a return operation that wrote nothing."""
    if isinstance(exc, ReturnRejected):
        found = [{"key": key, "message": message(code), "code": code} for key, code in exc.problems.items()]
        return problem(422, found[0]["message"], errors=found)
    if isinstance(exc, ReturnConflict):
        return problem(
            409, message(exc.code), code=exc.code, current_status=exc.status, current_version=exc.version
        )
    if isinstance(exc, ReturnForbidden):
        return problem(403)
    raise NotFoundException(f"No return or order {exc.args[0] if exc.args else ''}.".strip()) from None


def out(view: views.ReturnView) -> ReturnOut:
    return ReturnOut(
        id=view.id,
        order=view.order_id,
        order_number=view.order_number,
        status=view.status,
        note=view.note,
        decision_note=view.decision_note,
        refund_minor=view.refund_minor,
        currency=view.currency,
        credit_note=view.credit_note_id,
        credit_note_number=view.credit_note_number,
        requested_at=view.requested_at,
        version=view.version,
        lines=[
            ReturnLineOut(line.sku, line.name, line.quantity, line.reason, line.condition, line.restocked)
            for line in view.lines
        ],
    )


async def _answer(db: Database, return_id: int) -> ReturnOut:
    async with db.read() as session:
        view = await views.get_return(session, return_id)
    if view is None:
        raise NotFoundException(f"No return {return_id}.")
    return out(view)


ANSWERED = answers(
    200, ReturnOut, 404, 409, 422, writes=True, example=RETURN_EXAMPLE, description="The return"
)
MoveBody = Annotated[MoveIn | None, request_body(MOVE_EXAMPLE)]


@post(
    "/returns",
    guards=[manage_returns],
    summary="Ask for a return of delivered units",
    status_code=201,
    responses=answers(
        201, ReturnOut, 404, 409, 422, writes=True, example=RETURN_EXAMPLE, description="The return requested"
    ),
)
async def create_return(
    db: AppDb, actor: CurrentActor, data: Annotated[ReturnIn, request_body(RETURN_IN_EXAMPLE)]
) -> Any:
    lines = tuple(service.WantedLine(line.sku, line.quantity, line.reason) for line in data.lines)
    try:
        made = await db.run(
            service.request_return, actor, service.ReturnRequest(data.order, lines, data.note)
        )
    except REFUSALS as exc:
        return refused(exc)
    return await _answer(db, made.id)


@get(
    "/returns/{return_id:int}",
    guards=[manage_returns],
    summary="One return with its lines",
    responses=answers(200, ReturnOut, 404, example=RETURN_EXAMPLE, description="The return"),
)
async def get_return(db: AppDb, return_id: RowId) -> Any:
    return await _answer(db, return_id)


@get(
    "/returns",
    guards=[manage_returns],
    summary="Returns, newest first",
    responses=answers(200, ReturnListOut, example=RETURN_LIST_EXAMPLE, description="The newest returns"),
)
async def list_returns(db: AppDb, status: FromQuery[ReturnStatus | None] = None) -> ReturnListOut:
    async with db.read() as session:
        found = await views.list_returns(session, status)
    return ReturnListOut([out(view) for view in found])


@post(
    "/returns/{return_id:int}/approve",
    guards=[manage_returns],
    summary="Approve a return",
    status_code=200,
    responses=ANSWERED,
)
async def approve_return(db: AppDb, actor: CurrentActor, return_id: RowId, data: MoveBody = None) -> Any:
    data = data or MoveIn()
    try:
        await db.run(service.approve_return, actor, return_id, data.version, data.note)
    except REFUSALS as exc:
        return refused(exc)
    return await _answer(db, return_id)


@post(
    "/returns/{return_id:int}/refuse",
    guards=[manage_returns],
    summary="Refuse a return (note)",
    status_code=200,
    responses=ANSWERED,
)
async def refuse_return(db: AppDb, actor: CurrentActor, return_id: RowId, data: MoveBody = None) -> Any:
    data = data or MoveIn()
    try:
        await db.run(service.refuse_return, actor, return_id, data.version, data.note)
    except REFUSALS as exc:
        return refused(exc)
    return await _answer(db, return_id)


@post(
    "/returns/{return_id:int}/receive",
    guards=[manage_returns],
    summary="Receive a return: each line's condition (restocked or scrapped)",
    status_code=200,
    responses=ANSWERED,
)
async def receive_return(
    db: AppDb,
    actor: CurrentActor,
    return_id: RowId,
    data: Annotated[ReceiveIn, request_body(RECEIVE_EXAMPLE)],
) -> Any:
    inspections = tuple(service.Inspection(line.sku, line.condition) for line in data.lines)
    try:
        await db.run(service.receive_return, actor, return_id, inspections, data.version)
    except REFUSALS as exc:
        return refused(exc)
    return await _answer(db, return_id)


@post(
    "/returns/{return_id:int}/refund",
    guards=[manage_returns],
    summary="Refund a received return (credit note and refund)",
    status_code=200,
    responses=ANSWERED,
)
async def refund_return(
    db: AppDb,
    actor: CurrentActor,
    return_id: RowId,
    data: Annotated[ReturnRefundIn | None, request_body(REFUND_EXAMPLE)] = None,
) -> Any:
    data = data or ReturnRefundIn()
    wanted = service.RefundInput(data.method, data.amount_minor)
    try:
        await db.run(service.refund_return, actor, return_id, wanted, data.version)
    except REFUSALS as exc:
        return refused(exc)
    return await _answer(db, return_id)


ROUTES = [
    create_return,
    get_return,
    list_returns,
    approve_return,
    refuse_return,
    receive_return,
    refund_return,
]
