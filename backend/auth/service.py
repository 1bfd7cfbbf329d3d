"""Account operations. Each change is one command (``Database.run``): the coroutines here check
what needs no transaction (passwords are hashed outside it) and run the command."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.auth import rules
from backend.auth.events import (
    UserCreated,
    UserPasswordChanged,
    UserPermissionsChanged,
    UserProfileUpdated,
    UserSignedOut,
    UserTokenCreated,
)
from backend.auth.models import ApiToken, PermissionOverride, SignInThrottle, User, WebSession
from backend.auth.passwords import hash_password, needs_rehash, verify_password
from backend.auth.principal import hash_credential, permissions_of
from backend.auth.rules import Permission, Role
from backend.auth.throttle import (
    SignInKeys,
    Throttle,
    count_failure,
    forget,
    forgive_pair,
    take_slot,
)
from backend.kernel.db import Database, unkeyed, utcnow
from backend.kernel.events import record
from backend.kernel.tx import Tx
from backend.web import inputs


class AccountError(Exception):
    """A request the account rules refuse; ``code`` names the reason for messages and problems."""

    def __init__(self, code: str, field: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field


class VersionConflict(AccountError):
    def __init__(self, current_version: int) -> None:
        super().__init__("version_conflict")
        self.current_version = current_version


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == rules.normalise_email(email)))


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.run_sync(user_by_email, email)


async def get_user(db: Database, user_id: int) -> User:
    """The account as it is now; also as a command left it (commands return ids: they run in
    another process)."""
    async with db.read() as session:
        return await session.get_one(User, user_id)


async def create_user(
    db: Database, email: str, name: str, role: Role, password: str, *, locale: str | None = None
) -> User:
    email = rules.normalise_email(email)
    if not rules.is_valid_email(email):
        raise AccountError("invalid_email", "email")
    if problem := rules.password_problem(password):
        raise AccountError(problem, "password")
    if inputs.is_blank(name):
        raise AccountError("name_required", "name")
    password_hash = await hash_password(password)
    user_id = await db.run(
        add_user, email=email, name=name.strip(), role=role, password_hash=password_hash, locale=locale
    )
    return await get_user(db, user_id)


def add_user(tx: Tx, *, email: str, name: str, role: Role, password_hash: str, locale: str | None) -> int:
    if user_by_email(tx.session, email):
        raise AccountError("email_taken", "email")
    user = User(email=email, name=name, role=role.value, password_hash=password_hash, locale=locale)
    tx.session.add(user)
    tx.session.flush()
    record(tx, UserCreated(role=role.value, name=user.name), f"user:{user.id}", None)
    return user.id


# -- sign-in, throttled per address and per (address, account); slowed down per account ----------


async def sign_in(
    db: Database,
    *,
    email: str,
    password: str,
    address: str,
    throttle: Throttle,
    user_agent: str,
    idle: timedelta,
) -> tuple[User, str]:
    """Check credentials and open a new session; returns the user and the raw session token."""
    email = rules.normalise_email(email)
    keys = SignInKeys.of(address, email)
    delay = await take_slot(db, [keys.address, keys.pair], throttle, slow_key=keys.account)
    await asyncio.sleep(delay)
    async with db.read() as session:
        user = await get_user_by_email(session, email)
    valid = await verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.active:
        await count_failure(db, keys.account, throttle)  # the slots taken stay counted
        raise AccountError("bad_credentials")
    rehash = await hash_password(password) if needs_rehash(user.password_hash) else None
    raw = await db.run(_signed_in, keys, user.id, rehash=rehash, user_agent=user_agent, idle=idle)
    return user, raw


def _signed_in(
    tx: Tx, keys: SignInKeys, user_id: int, *, rehash: str | None, user_agent: str, idle: timedelta
) -> str:
    forgive_pair(tx.session, keys)
    if rehash:
        tx.session.execute(update(User).where(User.id == user_id).values(password_hash=rehash))
    return open_session(tx.session, user_id, user_agent, idle)


def open_session(session: Session, user_id: int, user_agent: str, idle: timedelta) -> str:
    """Add a signed-in session to the caller's transaction; returns the cookie's value."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            token_hash=hash_credential(raw),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + idle,
            user_agent=user_agent[:255],
        )
    )
    return raw


async def touch_session(db: Database, token_hash: str, idle: timedelta) -> None:
    await db.run(_touch_session, token_hash, idle)


@unkeyed
def _touch_session(tx: Tx, token_hash: str, idle: timedelta) -> None:
    now = utcnow()
    tx.session.execute(
        update(WebSession)
        .where(WebSession.token_hash == token_hash)
        .values(last_seen_at=now, expires_at=now + idle)
    )


async def sign_out(db: Database, token_hash: str) -> None:
    """End one session; the event tells every process to forget it at once."""
    await db.run(_sign_out, token_hash)


def _sign_out(tx: Tx, token_hash: str) -> None:
    ended = tx.session.execute(
        delete(WebSession).where(WebSession.token_hash == token_hash).returning(WebSession.user_id)
    )
    user_id = ended.scalar_one_or_none()
    if user_id is not None:
        record(tx, UserSignedOut(), f"user:{user_id}", user_id)


async def purge_expired_sessions(db: Database) -> int:
    return await db.run(_purge_expired_sessions)


@unkeyed
def _purge_expired_sessions(tx: Tx) -> int:
    result = tx.session.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))
    tx.session.execute(delete(SignInThrottle).where(SignInThrottle.window_ends_at <= utcnow()))
    return result.rowcount or 0


# -- profile ------------------------------------------------------------------------------------


def _check_version(user: User, expected: int | None) -> None:
    if expected is not None and user.version != expected:
        raise VersionConflict(user.version)


async def update_profile(
    db: Database, user_id: int, name: str, locale: str | None, expected_version: int | None
) -> User:
    name = name.strip()
    if inputs.is_blank(name) or len(name) > 120:
        raise AccountError("name_required" if inputs.is_blank(name) else "name_too_long", "name")
    await db.run(_update_profile, user_id, name, locale, expected_version)
    return await get_user(db, user_id)


def _update_profile(
    tx: Tx, user_id: int, name: str, locale: str | None, expected_version: int | None
) -> None:
    user = tx.session.get_one(User, user_id)
    _check_version(user, expected_version)
    changes = {}
    if user.name != name:
        changes["name"] = [user.name, name]
    if user.locale != locale:
        changes["locale"] = [user.locale, locale]
    if changes:
        user.name, user.locale = name, locale
        user.version += 1
        tx.session.flush()
        record(tx, UserProfileUpdated(changes=changes), f"user:{user.id}", user.id)


async def change_password(
    db: Database,
    user_id: int,
    current: str,
    new: str,
    keep_session_hash: str | None,
    *,
    throttle: Throttle,
    revoke_tokens: bool = False,
) -> None:
    """Guesses at the current password (from a session left open) are limited like sign-ins."""
    attempts = f"password:{user_id}"
    await take_slot(db, [attempts], throttle)
    async with db.read() as session:
        user = await session.get_one(User, user_id)
    if not await verify_password(user.password_hash, current):
        raise AccountError("wrong_password", "current_password")
    await _set_password(db, user_id, new, keep_session_hash, revoke_tokens=revoke_tokens, actor_id=user_id)


async def reset_password(db: Database, email: str, new: str) -> int:
    """Set a new password without the old one (from the command line): every session ends and
    every API token is revoked. Returns the number of tokens revoked."""
    async with db.read() as session:
        user = await get_user_by_email(session, email)
    if user is None:
        raise AccountError("not_found", "email")
    return await _set_password(db, user.id, new, None, revoke_tokens=True, actor_id=None)


async def _set_password(
    db: Database,
    user_id: int,
    new: str,
    keep_session_hash: str | None,
    *,
    revoke_tokens: bool,
    actor_id: int | None,
) -> int:
    if problem := rules.password_problem(new):
        raise AccountError(problem, "new_password")
    new_hash = await hash_password(new)
    return await db.run(
        _new_password,
        user_id,
        new_hash,
        keep_session_hash=keep_session_hash,
        revoke=revoke_tokens,
        actor_id=actor_id,
    )


def _new_password(
    tx: Tx, user_id: int, new_hash: str, *, keep_session_hash: str | None, revoke: bool, actor_id: int | None
) -> int:
    session = tx.session
    user = session.get_one(User, user_id)
    user.password_hash = new_hash
    forget(session, f"password:{user_id}")
    # Every other signed-in device must sign in again with the new password.
    session.execute(
        delete(WebSession).where(
            WebSession.user_id == user_id, WebSession.token_hash != (keep_session_hash or "")
        )
    )
    revoked = revoke_tokens_of(session, user_id) if revoke else 0
    # The event makes every process forget the person's sessions and tokens it remembers.
    record(tx, UserPasswordChanged(tokens_revoked=revoked), f"user:{user_id}", actor_id)
    return revoked


def revoke_tokens_of(session: Session, user_id: int) -> int:
    """Revoke every working token of the user, in the caller's transaction."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


# -- permissions --------------------------------------------------------------------------------


async def list_team(db: Database) -> list[User]:
    async with db.read() as session:
        result = await session.scalars(
            select(User).where(User.role != Role.CUSTOMER.value).order_by(User.role, User.name)
        )
        return list(result)


async def member_permissions(db: Database, user_id: int) -> tuple[User, dict[str, bool]] | None:
    """A team member whose permissions the owner may adjust, with their overrides; None for no such
    account or one whose role has none to adjust (the owner, customers)."""
    async with db.read() as session:
        member = await session.get(User, user_id)
        if member is None or Role(member.role) not in rules.ADJUSTABLE_ROLES:
            return None
        return member, await session.run_sync(overrides_of, user_id)


def overrides_of(session: Session, user_id: int) -> dict[str, bool]:
    rows = session.execute(
        select(PermissionOverride.permission, PermissionOverride.granted).where(
            PermissionOverride.user_id == user_id
        )
    )
    return dict(rows.all())


async def set_permissions(
    db: Database, actor_id: int, user_id: int, wanted: set[Permission], expected_version: int | None
) -> User:
    await db.run(_set_permissions, actor_id, user_id, wanted, expected_version)
    return await get_user(db, user_id)


def _set_permissions(
    tx: Tx, actor_id: int, user_id: int, wanted: set[Permission], expected_version: int | None
) -> None:
    session = tx.session
    user = session.get(User, user_id)
    if user is None:
        raise AccountError("not_found")
    role = Role(user.role)
    if role not in rules.ADJUSTABLE_ROLES:
        raise AccountError("not_adjustable")
    _check_version(user, expected_version)
    before = rules.effective_permissions(role, overrides_of(session, user_id))
    session.execute(delete(PermissionOverride).where(PermissionOverride.user_id == user_id))
    for name, granted in rules.overrides_for(role, wanted).items():
        session.add(PermissionOverride(user_id=user_id, permission=name, granted=granted))
    after = rules.effective_permissions(role, rules.overrides_for(role, wanted))
    user.version += 1  # permissions are part of what the owner edits on this user
    session.flush()
    changed = UserPermissionsChanged(
        granted=tuple(sorted(after - before)), withdrawn=tuple(sorted(before - after))
    )
    record(tx, changed, f"user:{user_id}", actor_id)


# -- API tokens ---------------------------------------------------------------------------------


async def create_api_token(
    db: Database, email: str, label: str = "", *, expires_at: datetime | None = None
) -> str:
    """A new token for the account, which must hold ``api.use``; returns the only copy of it."""
    raw = "cmp_" + secrets.token_urlsafe(32)
    label = label.strip()
    if len(label) > rules.MAX_TOKEN_LABEL:
        raise AccountError("label_too_long", "label")
    if not label.isprintable():  # no control characters (NUL never reaches the database)
        raise AccountError("label_invalid", "label")
    await db.run(_add_api_token, email, hash_credential(raw), label, expires_at)
    return raw


def _add_api_token(tx: Tx, email: str, token_hash: str, label: str, expires_at: datetime | None) -> None:
    session = tx.session
    user = user_by_email(session, email)
    if user is None:
        raise AccountError("not_found", "email")
    if not user.active or Permission.API_USE not in permissions_of(session, user):
        raise AccountError("api_not_allowed")
    token = ApiToken(token_hash=token_hash, user_id=user.id, label=label, expires_at=expires_at)
    session.add(token)
    session.flush()
    record(tx, UserTokenCreated(label=label, token_id=token.id), f"user:{user.id}", user.id)


async def touch_api_token(db: Database, token_hash: str) -> None:
    await db.run(_touch_api_token, token_hash)


@unkeyed
def _touch_api_token(tx: Tx, token_hash: str) -> None:
    tx.session.execute(
        update(ApiToken).where(ApiToken.token_hash == token_hash).values(last_used_at=utcnow())
    )
