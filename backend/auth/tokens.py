"""API tokens: listing and revoking them. Creating one is ``service.create_api_token``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select, true

from backend.auth import rules
from backend.auth.events import UserTokenRevoked
from backend.auth.models import ApiToken, User
from backend.auth.service import AccountError
from backend.kernel.db import Database, utcnow
from backend.kernel.events import record
from backend.kernel.tx import Tx

MAX_LISTED = 500


@dataclass(frozen=True)
class TokenRow:
    id: int
    label: str
    user_id: int
    user_name: str
    user_email: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    status: rules.TokenStatus


async def list_tokens(db: Database, where: ColumnElement[bool] | None = None) -> list[TokenRow]:
    """Tokens matching ``where`` (every token by default), newest first, revoked ones included."""
    now = utcnow()
    async with db.read() as session:
        rows = await session.execute(
            select(ApiToken, User.name, User.email)
            .join(User, User.id == ApiToken.user_id)
            .where(where if where is not None else true())
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
            .limit(MAX_LISTED)
        )
        return [
            TokenRow(
                id=token.id,
                label=token.label,
                user_id=token.user_id,
                user_name=name,
                user_email=email,
                created_at=token.created_at,
                last_used_at=token.last_used_at,
                expires_at=token.expires_at,
                revoked_at=token.revoked_at,
                status=rules.token_status(token.revoked_at, token.expires_at, now),
            )
            for token, name, email in rows.all()
        ]


async def revoke_token(db: Database, token_id: int, actor_id: int | None, owner_id: int | None = None) -> str:
    """Revoke a token (only one of ``owner_id``'s, when given); revoking it again changes nothing.
    Returns the token's hash, for the caller's cache. The event makes every other process forget
    the token."""
    return await db.run(_revoke_token, token_id, actor_id, owner_id)


def _revoke_token(tx: Tx, token_id: int, actor_id: int | None, owner_id: int | None) -> str:
    mine = ApiToken.user_id == owner_id if owner_id is not None else true()
    token = tx.session.scalar(select(ApiToken).where(ApiToken.id == token_id, mine))
    if token is None:
        raise AccountError("token_not_found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        revoked = UserTokenRevoked(label=token.label, token_id=token.id)
        record(tx, revoked, f"user:{token.user_id}", actor_id)
    return token.token_hash
