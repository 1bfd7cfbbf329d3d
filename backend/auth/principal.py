"""The authenticated party of a request, resolved from a session cookie or a bearer token."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.auth.models import ApiToken, PermissionOverride, User, WebSession
from backend.auth.rules import ADJUSTABLE_ROLES, Permission, Role, effective_permissions
from backend.kernel.db import utcnow


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    email: str
    name: str
    role: Role
    locale: str | None
    permissions: frozenset[Permission]
    via: str  # "session" or "token"
    credential_hash: str
    last_seen_at: datetime | None = None
    valid_until: datetime | None = None  # when the session ends unless used again, or the token expires

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.OWNER, Role.STAFF)


def hash_credential(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def permissions_of(session: Session, user: User) -> frozenset[Permission]:
    role = Role(user.role)
    overrides: dict[str, bool] = {}
    if role in ADJUSTABLE_ROLES:
        rows = session.execute(
            select(PermissionOverride.permission, PermissionOverride.granted).where(
                PermissionOverride.user_id == user.id
            )
        )
        overrides = dict(rows.all())
    return effective_permissions(role, overrides)


async def _principal(
    session: AsyncSession,
    user: User,
    *,
    via: str,
    digest: str,
    seen: datetime | None,
    valid_until: datetime | None = None,
) -> Principal:
    return Principal(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=Role(user.role),
        locale=user.locale,
        permissions=await session.run_sync(permissions_of, user),
        via=via,
        credential_hash=digest,
        last_seen_at=seen,
        valid_until=valid_until,
    )


async def principal_from_session(
    session: AsyncSession, raw_token: str, absolute_lifetime: timedelta
) -> Principal | None:
    digest = hash_credential(raw_token)
    row = (
        await session.execute(
            select(User, WebSession)
            .join(WebSession, WebSession.user_id == User.id)
            .where(WebSession.token_hash == digest)
        )
    ).first()
    if row is None:
        return None
    user, web_session = row
    now = utcnow()
    if not user.active or web_session.expires_at <= now:
        return None
    ends = min(web_session.expires_at, web_session.created_at + absolute_lifetime)
    if ends <= now:
        return None
    return await _principal(
        session, user, via="session", digest=digest, seen=web_session.last_seen_at, valid_until=ends
    )


async def principal_from_token(session: AsyncSession, raw_token: str) -> Principal | None:
    """The token's account, unless the token is revoked or expired (an expiring principal leaves
    the cache when the token expires)."""
    digest = hash_credential(raw_token)
    row = (
        await session.execute(
            select(User, ApiToken)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(
                ApiToken.token_hash == digest,
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()),
            )
        )
    ).first()
    if row is None or not row[0].active:
        return None
    user, token = row
    return await _principal(
        session, user, via="token", digest=digest, seen=token.last_used_at, valid_until=token.expires_at
    )
