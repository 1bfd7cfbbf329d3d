"""Reading an order back and claiming it for a change: helpers shared by the order commands,
which run them in their own transaction (``tx.session``)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from backend.customers.models import Customer
from backend.inventory.models import Location
from backend.kernel.db import utcnow
from backend.orders.errors import OrderNotFound, StaleOrder, TransitionRefused
from backend.orders.models import Order
from backend.orders.views import OrderSummary, summary_of


def load_summary(session: Session, order_id: int) -> OrderSummary:
    order = session.get(Order, order_id, populate_existing=True)
    if order is None:
        raise OrderNotFound(order_id)
    code = session.scalar(select(Location.code).where(Location.id == order.location_id))
    return summary_of(order, code or "")


def accounted(account: int | None) -> dict[str, int]:
    """What an order event carries of its customer's account, so that the account's own pages
    hear of it (``orders.live``); nothing for a customer without one."""
    return {"account": account} if account is not None else {}


def account_of(session: Session, order: Order) -> int | None:
    """The customer account the order belongs to, if its customer has one."""
    return session.scalar(select(Customer.user_id).where(Customer.id == order.customer_id))


def claim(session: Session, order: Order, status: str | None = None) -> None:
    """Bump the version if the order is still as read (status too, when given). On PostgreSQL the
    UPDATE waits for a concurrent writer and then finds nothing: that writer won."""
    conditions = [Order.id == order.id, Order.version == order.version]
    if status is not None:
        conditions.append(Order.status == order.status)
    values = {"version": Order.version + 1, "updated_at": utcnow()}
    if status is not None:
        values["status"] = status
    # The UPDATE answers what it wrote, so the order is not read again; nor are the session's
    # other objects searched for it (synchronize_session): the claim runs on every order change,
    # and those two steps were a quarter of a pick confirmation's time in the writer.
    claimed = (
        update(Order)
        .where(*conditions)
        .values(**values)
        .returning(Order.version, Order.updated_at, Order.status)
        .execution_options(synchronize_session=False)
    )
    written = session.execute(claimed).first()
    if written is None:
        current = load_summary(session, order.id)
        if status is not None and current.status != order.status:
            raise TransitionRefused("transition_not_allowed", current)
        raise StaleOrder(current)
    for name, value in zip(("version", "updated_at", "status"), written, strict=True):
        set_committed_value(order, name, value)
