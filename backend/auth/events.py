"""What the accounts domain records, one Struct per event type, and the sentence each one reads as."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, UnsetType

from backend.i18n.translation import N_, gettext
from backend.kernel.events import DomainEvent, Sentence, says

Changes = dict[str, list[Any]]  # field → [before, after]


class UserCreated(DomainEvent, tag="user.created"):
    role: str
    name: str
    invitation_id: int | UnsetType = UNSET  # opened through an invitation


class UserProfileUpdated(DomainEvent, tag="user.profile_updated"):
    changes: Changes


class UserPasswordChanged(DomainEvent, tag="user.password_changed"):
    tokens_revoked: int


class UserPermissionsChanged(DomainEvent, tag="user.permissions_changed"):
    granted: tuple[str, ...]
    withdrawn: tuple[str, ...]


class UserTokenCreated(DomainEvent, tag="user.token_created"):
    label: str
    token_id: int


class UserTokenRevoked(DomainEvent, tag="user.token_revoked"):
    label: str
    token_id: int


class UserSignedOut(DomainEvent, tag="user.signed_out"):
    pass


class UserInvited(DomainEvent, tag="user.invited"):
    invitation_id: int
    name: str
    role: str


class UserInvitationRevoked(DomainEvent, tag="user.invitation_revoked"):
    invitation_id: int
    name: str


EVENTS: tuple[type[DomainEvent], ...] = (
    UserCreated,
    UserProfileUpdated,
    UserPasswordChanged,
    UserPermissionsChanged,
    UserTokenCreated,
    UserTokenRevoked,
    UserSignedOut,
    UserInvited,
    UserInvitationRevoked,
)


def _account_opened(event: UserCreated, actor: str) -> str:
    if event.role == "customer":  # a shopper's account: not a new colleague
        return gettext(N_("%(name)s opened a customer account"), name=event.name)
    return gettext(N_("%(name)s joined the team"), name=event.name)


def _permissions_changed(event: UserPermissionsChanged, actor: str) -> str:
    return gettext(
        N_("%(actor)s changed permissions: %(granted)d granted, %(withdrawn)d withdrawn"),
        actor=actor,
        granted=len(event.granted),
        withdrawn=len(event.withdrawn),
    )


SENTENCES: dict[type[DomainEvent], Sentence] = {
    UserCreated: _account_opened,
    UserPermissionsChanged: _permissions_changed,
    UserProfileUpdated: says(N_("%(actor)s updated their profile")),
    UserPasswordChanged: says(N_("%(actor)s changed their password")),
    UserTokenCreated: says(N_("%(actor)s created an API token")),
    UserTokenRevoked: says(N_("%(actor)s revoked an API token")),
    UserInvited: says(N_("%(actor)s invited %(name)s to join the team")),
    UserInvitationRevoked: says(N_("%(actor)s revoked the invitation of %(name)s")),
    UserSignedOut: says(N_("%(actor)s signed out")),
}
