"""Invitations to join the team. The owner makes a single-use link; whoever opens it sets a
password, which creates the account (with the role and name the owner gave) and signs them in.
Each public coroutine that changes data is one transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from backend.auth import rules
from backend.auth.events import UserCreated, UserInvitationRevoked, UserInvited
from backend.auth.models import Invitation, User
from backend.auth.passwords import hash_password
from backend.auth.principal import hash_credential
from backend.auth.rules import InvitationStatus
from backend.auth.service import AccountError, open_session, user_by_email
from backend.kernel.db import Database, utcnow
from backend.kernel.events import record
from backend.kernel.tx import Tx

TOKEN_BYTES = 32  # 256 bits: no one guesses a link, throttled or not
MAX_TOKEN_LENGTH = 100  # longer is no token of ours: not worth hashing
MAX_LISTED = 200


class InvitationRejected(Exception):
    """The owner's invitation form has problems: field → code."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


class InvitationClosed(Exception):
    """A link that cannot be used: ``unknown``, ``account_exists`` or a status (used, expired, revoked)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class InvitationRow:
    id: int
    email: str
    name: str
    role: str
    invited_by: str | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    status: InvitationStatus


def _pending(now: datetime) -> ColumnElement[bool]:
    return and_(Invitation.used_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now)


async def invite(
    db: Database, actor_id: int, *, email: str, name: str, role: str, lifetime: timedelta
) -> tuple[int, str]:
    """A new invitation; returns its id and the link's token, of which this is the only copy."""
    email, name = rules.normalise_email(email), name.strip()
    if problems := rules.invitation_problems(email, name, role):
        raise InvitationRejected(problems)
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    details = {"email": email, "name": name, "role": role}
    invitation_id = await db.run(_add_invitation, actor_id, hash_credential(raw), lifetime, **details)
    return invitation_id, raw


def _add_invitation(
    tx: Tx, actor_id: int, token_hash: str, lifetime: timedelta, *, email: str, name: str, role: str
) -> int:
    session = tx.session
    if user_by_email(session, email) is not None:
        raise InvitationRejected({"email": "email_taken"})
    now = utcnow()
    # One working link per address: inviting again (the first link was lost, or sent to the
    # wrong place) replaces the one still pending.
    session.execute(update(Invitation).where(Invitation.email == email, _pending(now)).values(revoked_at=now))
    invitation = Invitation(
        token_hash=token_hash,
        email=email,
        name=name,
        role=role,
        invited_by_id=actor_id,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(invitation)
    session.flush()
    record(tx, UserInvited(invitation_id=invitation.id, name=name, role=role), f"user:{actor_id}", actor_id)
    return invitation.id


async def list_invitations(db: Database) -> list[InvitationRow]:
    """The newest invitations first, whatever became of them."""
    now = utcnow()
    inviter = aliased(User)
    async with db.read() as session:
        rows = await session.execute(
            select(Invitation, inviter.name)
            .outerjoin(inviter, inviter.id == Invitation.invited_by_id)
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
            .limit(MAX_LISTED)
        )
        return [
            InvitationRow(
                id=row.id,
                email=row.email,
                name=row.name,
                role=row.role,
                invited_by=inviter_name,
                created_at=row.created_at,
                expires_at=row.expires_at,
                used_at=row.used_at,
                revoked_at=row.revoked_at,
                status=rules.invitation_status(row.used_at, row.revoked_at, row.expires_at, now),
            )
            for row, inviter_name in rows.all()
        ]


async def revoke(db: Database, actor_id: int, invitation_id: int) -> None:
    """Stop a pending link at once; one used, expired or already revoked is left as it is."""
    await db.run(_revoke, actor_id, invitation_id)


def _revoke(tx: Tx, actor_id: int, invitation_id: int) -> None:
    invitation = tx.session.get(Invitation, invitation_id)
    if invitation is None:
        raise AccountError("not_found")
    now = utcnow()
    status = rules.invitation_status(invitation.used_at, invitation.revoked_at, invitation.expires_at, now)
    if status is InvitationStatus.PENDING:
        invitation.revoked_at = now
        revoked = UserInvitationRevoked(invitation_id=invitation.id, name=invitation.name)
        record(tx, revoked, f"user:{actor_id}", actor_id)


async def open_invitation(db: Database, raw: str) -> Invitation:
    """The pending invitation this link is, or ``InvitationClosed`` saying why not."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        raise InvitationClosed("unknown")
    async with db.read() as session:
        invitation = await session.scalar(
            select(Invitation).where(Invitation.token_hash == hash_credential(raw))
        )
    if invitation is None:
        raise InvitationClosed("unknown")
    status = rules.invitation_status(
        invitation.used_at, invitation.revoked_at, invitation.expires_at, utcnow()
    )
    if status is not InvitationStatus.PENDING:
        raise InvitationClosed(status.value)
    return invitation


async def accept(
    db: Database, raw: str, password: str, *, user_agent: str, idle: timedelta
) -> tuple[int, str]:
    """Create the account the invitation describes and sign it in; returns the new user's id and
    the session cookie's value. The link is claimed in the same transaction: it works once."""
    if problem := rules.password_problem(password):
        raise AccountError(problem, "password")
    opened = await open_invitation(db, raw)  # a clear answer before the slow hashing
    password_hash = await hash_password(password)
    try:
        return await db.run(_accept, opened.id, password_hash, user_agent=user_agent, idle=idle)
    except IntegrityError as exc:  # an account with this e-mail was made at the same moment
        raise InvitationClosed("account_exists") from exc


def _accept(
    tx: Tx, invitation_id: int, password_hash: str, *, user_agent: str, idle: timedelta
) -> tuple[int, str]:
    session = tx.session
    now = utcnow()
    claimed = session.scalar(
        update(Invitation)
        .where(Invitation.id == invitation_id, _pending(now))
        .values(used_at=now)
        .returning(Invitation.id)
    )
    opened = session.get_one(Invitation, invitation_id)
    if claimed is None:  # used, revoked or expired since it was opened
        raise InvitationClosed(_why_closed(opened, now))
    if user_by_email(session, opened.email) is not None:
        raise InvitationClosed("account_exists")
    user = User(email=opened.email, name=opened.name, role=opened.role, password_hash=password_hash)
    session.add(user)
    session.flush()
    opened.user_id = user.id
    created = UserCreated(role=opened.role, name=opened.name, invitation_id=opened.id)
    record(tx, created, f"user:{user.id}", opened.invited_by_id)
    return user.id, open_session(session, user.id, user_agent, idle)


def _why_closed(invitation: Invitation, now: datetime) -> str:
    status = rules.invitation_status(invitation.used_at, invitation.revoked_at, invitation.expires_at, now)
    return status.value
