"""Password attempts counted in the database, so that limits hold across processes and under load.

An attempt first takes a slot: one write transaction adds it to each of its counters and reads the
sums back (INSERT … ON CONFLICT DO UPDATE … RETURNING). Over the limit, the transaction is rolled
back and the attempt refused before any password is checked. Concurrent attempts queue on the rows
(PostgreSQL) or on the write lock (SQLite), so no more than the limit ever get through a window.

Sign-in counts per address and per (address, account). Failures against one account from everywhere
never lock it: they only make its sign-ins slower, the owner's included, from any address.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from backend.auth.models import SignInThrottle
from backend.kernel.db import Database, unkeyed, upsert_into, utcnow
from backend.kernel.tx import Tx


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too_many_attempts")
        self.code = "too_many_attempts"
        self.retry_after = retry_after


@dataclass(frozen=True)
class Throttle:
    limit: int
    window: timedelta
    # Against one account, each failure beyond the limit within the window adds this much waiting
    # to every sign-in to it, up to ``max_delay``: slow for a guesser, a pause for the owner.
    delay_step: float = 0.25
    max_delay: float = 4.0

    def delay_for(self, failures: int) -> float:
        excess = failures - self.limit + 1
        return 0.0 if excess <= 0 else min(self.max_delay, self.delay_step * excess)


@dataclass(frozen=True)
class SignInKeys:
    address: str
    pair: str
    account: str

    @classmethod
    def of(cls, address: str, email: str) -> SignInKeys:
        # Hashed: an address and an e-mail together may not fit the key column.
        pair = hashlib.sha256(f"{address}\n{email}".encode()).hexdigest()
        return cls(f"ip:{address}", f"pair:{pair}", f"account:{email}")


def _bump(session: Session, key: str, window: timedelta, now: datetime, by: int = 1) -> object:
    """Add ``by`` to the key's count, starting a new window when the last one has ended."""
    ends = now + window
    expired = SignInThrottle.window_ends_at <= now
    stmt = upsert_into(session, SignInThrottle).values(key=key, failures=by, window_ends_at=ends)
    return stmt.on_conflict_do_update(
        index_elements=[SignInThrottle.key],
        set_={
            "failures": case((expired, by), else_=SignInThrottle.failures + by),
            "window_ends_at": case((expired, ends), else_=SignInThrottle.window_ends_at),
        },
    ).returning(SignInThrottle.failures, SignInThrottle.window_ends_at)


async def take_slot(
    db: Database, keys: Sequence[str], throttle: Throttle, slow_key: str | None = None
) -> float:
    """Count one attempt against every key, or raise ``TooManyAttempts`` having counted nothing.
    Returns how many seconds the attempt should wait, from the failures counted on ``slow_key``."""
    failures = await db.run(_take_slot, list(keys), throttle, slow_key)
    return throttle.delay_for(failures)


@unkeyed
def _take_slot(tx: Tx, keys: list[str], throttle: Throttle, slow_key: str | None) -> int:
    """The failures counted on ``slow_key`` once the slots are taken."""
    now = utcnow()
    waits = []
    for key in keys:
        failures, ends = tx.session.execute(_bump(tx.session, key, throttle.window, now)).one()
        if failures > throttle.limit:
            waits.append(int((ends - now).total_seconds()) + 1)
    if waits:
        raise TooManyAttempts(max(waits))  # rolls the counts back
    if slow_key is None:
        return 0
    failures = tx.session.scalar(
        select(SignInThrottle.failures).where(
            SignInThrottle.key == slow_key, SignInThrottle.window_ends_at > now
        )
    )
    return failures or 0


async def count_failure(db: Database, key: str, throttle: Throttle) -> None:
    await db.run(_count_failure, key, throttle.window)


@unkeyed
def _count_failure(tx: Tx, key: str, window: timedelta) -> None:
    tx.session.execute(_bump(tx.session, key, window, utcnow()))


async def give_back(db: Database, key: str) -> None:
    """An attempt that was no guess (a link that works) returns the slot it took."""
    await db.run(_give_back, key)


@unkeyed
def _give_back(tx: Tx, key: str) -> None:
    tx.session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.key == key, SignInThrottle.failures > 0)
        .values(failures=SignInThrottle.failures - 1)
    )


def forget(session: Session, key: str) -> None:
    """The right password: what was counted against this key was the owner's own typing."""
    session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))


def forgive_pair(session: Session, keys: SignInKeys) -> None:
    """A right password: the pair's failures (and this attempt's slot) were the owner's typing, so
    they are taken off the address's count too, letting others behind the same address sign in.
    A guesser gains nothing: only failures against an account whose password they know are given
    back, and only those the address's current window counted."""
    pair = session.execute(
        delete(SignInThrottle)
        .where(SignInThrottle.key == keys.pair)
        .returning(SignInThrottle.failures, SignInThrottle.window_ends_at)
    )
    row = pair.one_or_none()
    if row is None:
        return
    failures, pair_ends = row
    # Windows all last as long: the pair's began within the address's if it ends no earlier.
    within = SignInThrottle.window_ends_at <= pair_ends
    given_back = case((within, failures), else_=1)  # else only this attempt's own slot
    left = case((SignInThrottle.failures > given_back, SignInThrottle.failures - given_back), else_=0)
    address = update(SignInThrottle).where(SignInThrottle.key == keys.address)
    session.execute(address.values(failures=left))
