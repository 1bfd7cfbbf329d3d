"""Return commands, each a plain ``fn(tx, actor, …)`` run with ``await db.run(fn, …)``: a
customer's (or the staff's) request, the decision, the receipt with its inspection, the refund.

Every move but the request names the version the person saw and raises ``ReturnConflict`` when
the return changed meanwhile; a move to the status the return already has answers it as it is
(a double tap, a replay without its key), writing nothing. Restocking goes through the inventory
core (a ``return`` movement on the ledger, then the settlement every stock command ends with); the
refund through the invoicing core (a credit note for the returned lines when the order was
invoiced, then the refund linked to it), in the same transaction: a refund refused (more than was
paid) takes the credit note back with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select

from backend.auth.rules import Permission
from backend.inventory import service as stock
from backend.inventory.rules import MovementKind
from backend.inventory.settling import no_reorder
from backend.invoicing.errors import InvoiceForbidden, InvoiceRejected
from backend.invoicing.models import Invoice, InvoiceLine
from backend.invoicing.payments import PaymentInput, record_refund
from backend.invoicing.rules import InvoiceStatus, Kind
from backend.invoicing.service import CreditLine, credit_invoice
from backend.kernel.events import Event, record
from backend.kernel.tx import Tx
from backend.orders.models import Order, OrderLine
from backend.orders.placing import hash_tracking_token
from backend.orders.records import account_of
from backend.orders.rules import Actor
from backend.returns import events, rules
from backend.returns.errors import ReturnConflict, ReturnForbidden, ReturnNotFound, ReturnRejected
from backend.returns.models import Return, ReturnLine, ReturnSettings
from backend.returns.rules import Condition, Reason, ReturnStatus

__all__ = [
    "Inspection",
    "RefundInput",
    "ReturnRef",
    "ReturnRequest",
    "WantedLine",
    "approve_return",
    "receive_return",
    "refund_return",
    "refuse_return",
    "request_return",
    "set_window",
]

DELIVERED_EVENTS = ("order.delivered", "order.picked_up")


@dataclass(frozen=True)
class WantedLine:
    sku: str
    quantity: int
    reason: str


@dataclass(frozen=True)
class ReturnRequest:
    order_id: int
    lines: tuple[WantedLine, ...]
    note: str = ""
    tracking_token: str | None = None  # a shopper asking from the order's tracking link


@dataclass(frozen=True)
class Inspection:
    sku: str
    condition: str


@dataclass(frozen=True)
class RefundInput:
    method: str | None = None  # the order's payment method when None
    amount_minor: int | None = None  # what the returned lines cost when None


@dataclass(frozen=True)
class ReturnRef:
    """What a command returns (and the API's answer)."""

    id: int
    order_id: int
    status: str
    version: int
    refund_minor: int
    currency: str
    credit_note_id: int | None
    refund_id: int | None
    replayed: bool = field(default=False, compare=False)


def ref(found: Return, replayed: bool = False) -> ReturnRef:
    return ReturnRef(
        found.id,
        found.order_id,
        found.status,
        found.version,
        found.refund_minor,
        found.currency,
        found.credit_note_id,
        found.refund_id,
        replayed,
    )


def _staff(actor: Actor) -> bool:
    return actor.can(Permission.RETURNS_MANAGE)


# -- the request ----------------------------------------------------------------------------------


def _order_for(tx: Tx, actor: Actor, wanted: ReturnRequest) -> tuple[Order, bool]:
    """The order and whether the staff ask (no window for them: the shop may make exceptions)."""
    order = tx.session.scalars(select(Order).where(Order.id == wanted.order_id).with_for_update()).first()
    if order is None:
        raise ReturnNotFound(wanted.order_id)
    if wanted.tracking_token is not None:
        if hash_tracking_token(wanted.tracking_token) != order.tracking_token_hash:
            raise ReturnNotFound(wanted.order_id)
        return order, False
    if actor.user_id is not None and actor.is_customer:
        if account_of(tx.session, order) != actor.user_id:
            raise ReturnNotFound(wanted.order_id)
        return order, False
    if not _staff(actor):
        raise ReturnForbidden
    return order, True


def delivered_at(tx: Tx, order_id: int) -> datetime | None:
    query = select(func.max(Event.at)).where(
        Event.subject == f"order:{order_id}", Event.type.in_(DELIVERED_EVENTS)
    )
    return tx.session.scalar(query)


def returned_units(tx: Tx, order_id: int) -> dict[int, int]:
    """Units of each order line in this order's returns that were not refused."""
    query = (
        select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.order_id == order_id, Return.status != ReturnStatus.REFUSED)
        .group_by(ReturnLine.order_line_id)
    )
    return {line_id: int(units) for line_id, units in tx.session.execute(query)}


def window_days(tx: Tx) -> int:
    saved = tx.session.get(ReturnSettings, 1)
    return saved.window_days if saved is not None else rules.DEFAULT_WINDOW_DAYS


def _check_lines(wanted: ReturnRequest, lines: dict[str, OrderLine], left: dict[int, int]) -> dict[str, int]:
    if not wanted.lines:
        raise ReturnRejected({"lines": "lines_required"})
    units: dict[str, int] = {}
    problems = {}
    for n, line in enumerate(wanted.lines):
        key = f"lines[{n}]"
        if line.sku not in lines:
            problems[f"{key}.sku"] = "not_on_order"
        elif not 1 <= line.quantity <= 10_000:
            problems[f"{key}.quantity"] = "quantity_invalid"
        elif line.reason not in Reason.__members__.values():
            problems[f"{key}.reason"] = "reason_invalid"
        else:
            units[line.sku] = units.get(line.sku, 0) + line.quantity
            if units[line.sku] > left[lines[line.sku].id]:
                problems[f"{key}.quantity"] = "above_delivered"
    if problems:
        raise ReturnRejected(problems)
    return units


def request_return(tx: Tx, actor: Actor, wanted: ReturnRequest) -> ReturnRef:
    """A return of some of a delivered order's units, each line with a reason. Customers ask
    within the return window, counted from delivery (or collection); the staff at any time."""
    order, by_staff = _order_for(tx, actor, wanted)
    if order.status not in rules.RETURNABLE_ORDER_STATUSES:
        raise ReturnRejected({"order": "not_delivered"})
    if problem := rules.note_problem(wanted.note, required=False):
        raise ReturnRejected({"note": problem})
    now = datetime.now(UTC)
    if not by_staff and not rules.window_open(delivered_at(tx, order.id), now, window_days(tx)):
        raise ReturnRejected({"order": "window_closed"})
    lines = {
        line.sku: line for line in tx.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
    }
    already = returned_units(tx, order.id)
    left = {
        line.id: rules.returnable_units(line.quantity, already.get(line.id, 0)) for line in lines.values()
    }
    units = _check_lines(wanted, lines, left)
    reasons = {line.sku: line.reason for line in wanted.lines}
    found = Return(
        order_id=order.id,
        status=ReturnStatus.REQUESTED.value,
        note=wanted.note.strip(),
        decision_note="",
        currency=order.currency,
        refund_minor=0,
        requested_by_id=actor.user_id,
    )
    tx.session.add(found)
    tx.session.flush()
    for sku, quantity in units.items():
        line = lines[sku]
        tx.session.add(
            ReturnLine(
                return_id=found.id,
                order_line_id=line.id,
                product_id=line.product_id,
                sku=sku,
                name=line.name,
                quantity=quantity,
                reason=reasons[sku],
                restocked=0,
            )
        )
    tx.session.flush()
    _record(tx, actor, found, order, events.ReturnRequested, units=sum(units.values()))
    return ref(found)


def _record(
    tx: Tx, actor: Actor, found: Return, order: Order, kind: type[events.ReturnEvent], **data: object
) -> None:
    account = account_of(tx.session, order)
    extra = {"account": account} if account is not None else {}
    event = kind(order_id=order.id, number=order.number, status=found.status, **extra, **data)  # type: ignore[arg-type]
    record(tx, event, f"return:{found.id}", actor.user_id)


# -- the shop's moves -----------------------------------------------------------------------------


def _load(tx: Tx, return_id: int) -> Return:
    found = tx.session.scalars(select(Return).where(Return.id == return_id).with_for_update()).first()
    if found is None:
        raise ReturnNotFound(return_id)
    return found


def _claim(tx: Tx, actor: Actor, return_id: int, version: int | None, wanted: ReturnStatus) -> Return | None:
    """The return, locked and checked for the move to ``wanted``; None when it already made it."""
    if not _staff(actor):
        raise ReturnForbidden
    found = _load(tx, return_id)
    if found.status == wanted:
        return None
    if version is not None and version != found.version:
        raise ReturnConflict("stale", found.status, found.version)
    if problem := rules.move_problem(found.status, wanted):
        raise ReturnConflict(problem, found.status, found.version)
    found.status = wanted.value
    found.version += 1
    return found


def _lines(tx: Tx, return_id: int) -> list[ReturnLine]:
    return list(
        tx.session.scalars(
            select(ReturnLine).where(ReturnLine.return_id == return_id).order_by(ReturnLine.id)
        )
    )


def approve_return(
    tx: Tx, actor: Actor, return_id: int, version: int | None = None, note: str = ""
) -> ReturnRef:
    if problem := rules.note_problem(note, required=False):
        raise ReturnRejected({"note": problem})
    found = _claim(tx, actor, return_id, version, ReturnStatus.APPROVED)
    if found is None:
        return ref(_load(tx, return_id), replayed=True)
    found.decision_note, found.decided_at = note.strip(), datetime.now(UTC)
    _record(tx, actor, found, tx.session.get_one(Order, found.order_id), events.ReturnApproved)
    return ref(found)


def refuse_return(
    tx: Tx, actor: Actor, return_id: int, version: int | None = None, note: str = ""
) -> ReturnRef:
    if problem := rules.note_problem(note, required=True):
        raise ReturnRejected({"note": problem})
    found = _claim(tx, actor, return_id, version, ReturnStatus.REFUSED)
    if found is None:
        return ref(_load(tx, return_id), replayed=True)
    found.decision_note, found.decided_at = note.strip(), datetime.now(UTC)
    _record(
        tx,
        actor,
        found,
        tx.session.get_one(Order, found.order_id),
        events.ReturnRefused,
        note=found.decision_note,
    )
    return ref(found)


def _conditions(lines: list[ReturnLine], inspections: tuple[Inspection, ...]) -> dict[str, str]:
    given = {}
    for n, inspection in enumerate(inspections):
        if inspection.condition not in Condition.__members__.values():
            raise ReturnRejected({f"lines[{n}].condition": "condition_invalid"})
        given[inspection.sku] = inspection.condition
    missing = [line.sku for line in lines if line.sku not in given]
    if missing or set(given) - {line.sku for line in lines}:
        raise ReturnRejected({"lines": "conditions_required"})
    return given


def receive_return(
    tx: Tx, actor: Actor, return_id: int, inspections: tuple[Inspection, ...], version: int | None = None
) -> ReturnRef:
    """The goods are back: each line's condition says whether its units go back on the shelf of
    the order's location (a ``return`` movement) or are scrapped (no movement: sold stock that
    never comes back)."""
    found = _claim(tx, actor, return_id, version, ReturnStatus.RECEIVED)
    if found is None:
        return ref(_load(tx, return_id), replayed=True)
    lines = _lines(tx, found.id)
    conditions = _conditions(lines, inspections)
    order = tx.session.get_one(Order, found.order_id)
    restocked = scrapped = 0
    for line in lines:
        line.condition = conditions[line.sku]
        if line.condition in rules.RESTOCKED_CONDITIONS:
            line.restocked = line.quantity
            restocked += line.quantity
            change = stock.Change(
                line.product_id,
                order.location_id,
                line.quantity,
                MovementKind.RETURN,
                reason=line.condition,
                reference=f"return:{found.id}",
            )
            stock.change_on_hand(tx, change, actor.user_id)
        else:
            scrapped += line.quantity
    found.received_at = datetime.now(UTC)
    tx.session.flush()
    stock.settle(tx, actor.user_id, no_reorder)
    _record(tx, actor, found, order, events.ReturnReceived, restocked=restocked, scrapped=scrapped)
    return ref(found)


# -- the refund -----------------------------------------------------------------------------------


def _invoice_of(tx: Tx, order_id: int) -> Invoice | None:
    query = select(Invoice).where(
        Invoice.order_id == order_id,
        Invoice.kind == Kind.INVOICE,
        Invoice.status.not_in([InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED]),
    )
    return tx.session.scalars(query.order_by(Invoice.id.desc())).first()


def _credit(tx: Tx, actor: Actor, invoice: Invoice, reason: str, lines: list[ReturnLine]) -> Invoice:
    positions = {
        line.sku: line.position
        for line in tx.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    }
    credited = tuple(
        CreditLine(positions[line.sku], line.quantity) for line in lines if line.sku in positions
    )
    if not credited:
        raise ReturnRejected({"lines": "nothing_to_refund"})
    note = credit_invoice(tx, actor, invoice.id, reason, credited)
    return tx.session.get_one(Invoice, note.id)


def _value(tx: Tx, lines: list[ReturnLine]) -> int:
    total = 0
    for line in lines:
        ordered = tx.session.get_one(OrderLine, line.order_line_id)
        total += rules.units_value(ordered.total_minor, ordered.quantity, line.quantity)
    return total


def refund_return(
    tx: Tx, actor: Actor, return_id: int, wanted: RefundInput, version: int | None = None
) -> ReturnRef:
    """A credit note for the returned lines (when the order was invoiced) and the refund, never
    more than was paid: a refund refused takes the whole move back, credit note included."""
    found = _claim(tx, actor, return_id, version, ReturnStatus.REFUNDED)
    if found is None:
        return ref(_load(tx, return_id), replayed=True)
    order = tx.session.get_one(Order, found.order_id)
    lines = _lines(tx, found.id)
    invoice = _invoice_of(tx, order.id)
    try:
        reason = f"Return {found.id} of order {order.number}"
        note = _credit(tx, actor, invoice, reason, lines) if invoice is not None else None
        amount = wanted.amount_minor
        if amount is None:
            amount = note.total_minor if note is not None else _value(tx, lines)
        payment = PaymentInput(
            method=wanted.method or order.payment_method,
            amount_minor=amount,
            order_id=order.id,
            invoice_id=invoice.id if invoice is not None else None,
            reason=f"Return {found.id}",
            credit_note_id=note.id if note is not None else None,
        )
        refunded = record_refund(tx, actor, payment)
    except InvoiceRejected as exc:
        raise ReturnRejected(dict(exc.problems)) from None
    except InvoiceForbidden:
        raise ReturnForbidden from None
    found.refund_minor, found.refund_id = amount, refunded.id
    found.credit_note_id = note.id if note is not None else None
    found.refunded_at = datetime.now(UTC)
    extra = {"credit_note": note.number} if note is not None and note.number else {}
    _record(
        tx, actor, found, order, events.ReturnRefunded, amount_minor=amount, currency=found.currency, **extra
    )
    return ref(found)


# -- the window -----------------------------------------------------------------------------------


def set_window(tx: Tx, actor: Actor, days: int, version: int | None = None) -> int:
    """The return window, in days from delivery; returns the settings' new version."""
    if not actor.can(Permission.SETTINGS_MANAGE):
        raise ReturnForbidden
    if problem := rules.window_problem(days):
        raise ReturnRejected({"window_days": problem})
    saved = tx.session.get(ReturnSettings, 1)
    if saved is None:
        saved = ReturnSettings(id=1, window_days=days, version=1)
        tx.session.add(saved)
    else:
        if version is not None and version != saved.version:
            raise ReturnConflict("stale", "", saved.version)
        saved.window_days, saved.version = days, saved.version + 1
    tx.session.flush()
    record(tx, events.ReturnWindowSet(days=days), "returns:settings", actor.user_id)
    return saved.version
