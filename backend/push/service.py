"""Web Push commands: subscribe, unsubscribe, choose kinds; and the dispatcher's own (its lease,
queueing what an event announces with the cursor's move, settling what push services answered).

A subscription belongs to an account or to one order (its tracking link, resolved by the web layer
with ``storefront.tracking.tracked_order_id``): whoever holds the link hears that order only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from backend.auth.models import PermissionOverride, User
from backend.auth.rules import Role, effective_permissions
from backend.i18n.translation import DEFAULT_LOCALE, SUPPORTED_LOCALES
from backend.kernel.events import EventCursor
from backend.kernel.tx import Tx
from backend.orders.models import Order
from backend.push import rules
from backend.push.models import PushAlert, PushDelivery, PushLease, PushSubscription
from backend.push.rules import Listener, Outcome

CONSUMER = "push"  # the dispatcher's row in event_cursors, and its lease's name


class PushRefused(Exception):
    """The subscription as sent cannot be kept: ``problems`` maps each field to a code."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


class SubscriptionNotFound(Exception):
    """No subscription of this owner has that id or endpoint."""


class LeaseLost(Exception):
    """Another dispatcher holds the lease now: what this one decided is not written."""


@dataclass(frozen=True)
class Owner:
    """Who a subscription belongs to: an account, or the order whose tracking link was shown."""

    user_id: int | None = None
    order_id: int | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.order_id is None):
            raise ValueError("a subscription has one owner: an account or an order")


@dataclass(frozen=True)
class BrowserSubscription:
    """A browser's ``PushSubscription`` JSON (endpoint and keys), its language and the kinds it
    asks for (None: everything its owner may hear)."""

    endpoint: str
    p256dh: str
    auth: str
    locale: str = DEFAULT_LOCALE
    kinds: tuple[str, ...] | None = None


# -- who owns it ----------------------------------------------------------------------------------


def listener_of(session: Session, owner: Owner, kinds: Iterable[str] = ()) -> Listener:
    """The owner as the rules see it, with the account's rights as they are now."""
    if owner.order_id is not None:
        if session.get(Order, owner.order_id) is None:
            raise SubscriptionNotFound(owner.order_id)
        return Listener(frozenset(kinds), order_id=owner.order_id)
    user = session.get(User, owner.user_id)
    if user is None:
        raise SubscriptionNotFound(owner.user_id)
    overrides = session.execute(
        select(PermissionOverride.permission, PermissionOverride.granted).where(
            PermissionOverride.user_id == user.id
        )
    )
    role = Role(user.role)
    permissions = effective_permissions(role, dict(overrides.all()))
    return Listener(frozenset(kinds), user_id=user.id, role=role, permissions=permissions, active=user.active)


def _owned_by(owner: Owner) -> object:
    if owner.user_id is not None:
        return PushSubscription.user_id == owner.user_id
    return PushSubscription.order_id == owner.order_id


# -- subscribing ----------------------------------------------------------------------------------


def subscribe(
    tx: Tx, owner: Owner, browser: BrowserSubscription, allow_local: bool = False, loopback_only: bool = False
) -> int:
    """Keep the browser's subscription for ``owner``; returns its id. Idempotent on the endpoint:
    a browser that subscribes again (new keys, another person signed in on the phone, other kinds)
    updates its one row. Raises ``PushRefused`` for a malformed subscription or kinds nobody lets
    the owner have, ``SubscriptionNotFound`` for an owner that does not exist."""
    problems = rules.subscription_problems(
        browser.endpoint, browser.p256dh, browser.auth, allow_local=allow_local, loopback_only=loopback_only
    )
    if problems:
        raise PushRefused(problems)
    session = tx.session
    allowed = rules.kinds_allowed(listener_of(session, owner))
    if not allowed:
        raise PushRefused({"kinds": "nothing_to_hear"})
    kinds = rules.chosen_kinds(browser.kinds, allowed)
    if browser.kinds is not None and not kinds:
        raise PushRefused({"kinds": "not_allowed"})
    values = {
        "p256dh": browser.p256dh,
        "auth": browser.auth,
        "user_id": owner.user_id,
        "order_id": owner.order_id,
        "locale": browser.locale if browser.locale in SUPPORTED_LOCALES else DEFAULT_LOCALE,
        "kinds": kinds,
        "failures": 0,
    }
    row = session.scalar(select(PushSubscription).where(PushSubscription.endpoint == browser.endpoint))
    if row is None:
        row = PushSubscription(endpoint=browser.endpoint, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    return row.id


def unsubscribe(tx: Tx, owner: Owner, endpoint: str) -> bool:
    """Forget the browser's subscription; False when the owner had none at that endpoint (a second
    unsubscribe is not an error)."""
    found = tx.session.execute(
        delete(PushSubscription).where(PushSubscription.endpoint == endpoint, _owned_by(owner))
    )
    return bool(found.rowcount)


def forget_device(tx: Tx, owner: Owner, subscription_id: int) -> bool:
    """Remove one of the owner's devices (the "me" page); False when it was already gone."""
    found = tx.session.execute(
        delete(PushSubscription).where(PushSubscription.id == subscription_id, _owned_by(owner))
    )
    return bool(found.rowcount)


def set_kinds(tx: Tx, owner: Owner, subscription_id: int, kinds: list[str]) -> list[str]:
    """Choose which kinds one of the owner's devices hears (those the owner may hear); returns the
    kinds kept. Raises ``SubscriptionNotFound``."""
    session = tx.session
    row = session.scalar(
        select(PushSubscription).where(PushSubscription.id == subscription_id, _owned_by(owner))
    )
    if row is None:
        raise SubscriptionNotFound(subscription_id)
    row.kinds = rules.chosen_kinds(kinds, rules.kinds_allowed(listener_of(session, owner)))
    return list(row.kinds)


# -- the dispatcher's lease -----------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _lease_row(session: Session, name: str) -> PushLease | None:
    return session.scalar(select(PushLease).where(PushLease.name == name).with_for_update())


def take_lease(tx: Tx, holder: str, seconds: float, name: str = CONSUMER) -> bool:
    """Hold (or keep holding) the lease for ``seconds`` unless someone else holds it unexpired."""
    session, now = tx.session, _now()
    row = _lease_row(session, name)
    if row is None:
        session.add(PushLease(name=name, holder=holder, expires_at=now + timedelta(seconds=seconds)))
        session.flush()
        return True
    if row.holder != holder and row.expires_at > now:
        return False
    row.holder, row.expires_at = holder, now + timedelta(seconds=seconds)
    return True


def release_lease(tx: Tx, holder: str, name: str = CONSUMER) -> None:
    """Let another dispatcher take over at once (a clean stop)."""
    tx.session.execute(
        update(PushLease).where(PushLease.name == name, PushLease.holder == holder).values(expires_at=_now())
    )


def _check_lease(session: Session, holder: str, name: str) -> None:
    row = _lease_row(session, name)
    if row is None or row.holder != holder or row.expires_at <= _now():
        raise LeaseLost(holder)


# -- queueing and settling ------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    subscription_id: int
    event_id: int | None
    kind: str
    payload: str
    topic: str
    ttl: int
    urgency: str


@dataclass(frozen=True)
class Plan:
    """What the dispatcher decided for a stretch of the log: the notifications, the alerts raised
    and cleared, and where the log is read up to (None: the cursor stays)."""

    holder: str
    deliveries: tuple[Planned, ...]
    cursor: int | None = None
    raise_alerts: tuple[str, ...] = ()
    clear_alerts: tuple[str, ...] = ()


def enqueue(tx: Tx, plan: Plan, name: str = CONSUMER) -> int:
    """Queue the notifications and move the cursor, in one transaction and only while ``plan.holder``
    holds the lease (``LeaseLost`` otherwise): an event's notifications are queued exactly once,
    whatever crashes. Returns how many were queued."""
    session = tx.session
    _check_lease(session, plan.holder, name)
    now = _now()
    if plan.deliveries:
        rows = [
            {**vars(planned), "attempts": 0, "created_at": now, "due_at": now} for planned in plan.deliveries
        ]
        session.execute(insert(PushDelivery), rows)
    if plan.clear_alerts:
        session.execute(delete(PushAlert).where(PushAlert.key.in_(plan.clear_alerts)))
    for key in plan.raise_alerts:
        session.merge(PushAlert(key=key, at=now))
    if plan.cursor is not None:
        _move_cursor(session, plan.cursor, now)
    return len(plan.deliveries)


def _move_cursor(session: Session, event_id: int, now: datetime) -> None:
    cursor = session.get(EventCursor, CONSUMER)
    if cursor is None:
        session.add(EventCursor(consumer=CONSUMER, last_event_id=event_id, updated_at=now))
    else:
        cursor.last_event_id, cursor.updated_at = event_id, now


def start_cursor(tx: Tx, holder: str, event_id: int) -> int:
    """Place the cursor where a first dispatcher starts (after what is already in the log: a new
    install does not announce its history); returns the cursor, the existing one if any."""
    session = tx.session
    _check_lease(session, holder, CONSUMER)
    cursor = session.get(EventCursor, CONSUMER)
    if cursor is not None:
        return cursor.last_event_id
    _move_cursor(session, event_id, _now())
    return event_id


@dataclass(frozen=True)
class Settled:
    """A push service's answer to one delivery (``retry_in``: seconds, for ``retry``)."""

    delivery_id: int
    subscription_id: int
    outcome: str
    attempts: int
    retry_in: float | None = None


def settle(tx: Tx, answers: list[Settled]) -> None:
    """Write what push services answered: done and skipped deliveries are removed, gone
    subscriptions deleted, retries put off, refusals counted against their subscription."""
    session, now = tx.session, _now()
    by = {outcome: [a for a in answers if a.outcome == outcome] for outcome in Outcome}
    finished = [a.delivery_id for a in (*by[Outcome.DONE], *by[Outcome.TOO_BIG], *by[Outcome.REFUSED])]
    failed = [a.subscription_id for a in by[Outcome.REFUSED]]
    for answer in by[Outcome.RETRY]:
        if answer.attempts + 1 >= rules.MAX_ATTEMPTS:
            finished.append(answer.delivery_id)
            failed.append(answer.subscription_id)
            continue
        due = now + timedelta(seconds=answer.retry_in or 0)
        session.execute(
            update(PushDelivery)
            .where(PushDelivery.id == answer.delivery_id)
            .values(attempts=answer.attempts + 1, due_at=due)
        )
    if finished:
        session.execute(delete(PushDelivery).where(PushDelivery.id.in_(finished)))
    if done := sorted({a.subscription_id for a in by[Outcome.DONE]}):
        session.execute(
            update(PushSubscription)
            .where(PushSubscription.id.in_(done))
            .values(last_success_at=now, failures=0)
        )
    if failed:
        _count_failures(session, failed)
    if gone := sorted({a.subscription_id for a in by[Outcome.GONE]}):
        _forget(session, gone)


def _count_failures(session: Session, subscription_ids: list[int]) -> None:
    for subscription_id in sorted(set(subscription_ids)):
        session.execute(
            update(PushSubscription)
            .where(PushSubscription.id == subscription_id)
            .values(failures=PushSubscription.failures + subscription_ids.count(subscription_id))
        )
    worn = session.scalars(
        select(PushSubscription.id).where(
            PushSubscription.id.in_(subscription_ids), PushSubscription.failures >= rules.MAX_FAILURES
        )
    ).all()
    if worn:
        _forget(session, list(worn))


def _forget(session: Session, subscription_ids: list[int]) -> None:
    session.execute(delete(PushDelivery).where(PushDelivery.subscription_id.in_(subscription_ids)))
    session.execute(delete(PushSubscription).where(PushSubscription.id.in_(subscription_ids)))
