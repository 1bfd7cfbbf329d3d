"""Object-level rules: which rows a principal may see, expressed as query filters.

Route guards say "may this person use orders at all"; these say "which orders". They live in
queries so that a forgotten check returns nothing rather than someone else's data.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import InstrumentedAttribute

from backend.auth.principal import Principal
from backend.auth.rules import Permission


def own_rows(principal: Principal, owner_column: InstrumentedAttribute[int | None]) -> ColumnElement[bool]:
    """Rows whose ``owner_column`` is the principal's own user id."""
    return owner_column == principal.user_id


def visible_rows(
    principal: Principal,
    owner_column: InstrumentedAttribute[int | None],
    see_all: Permission,
) -> ColumnElement[bool]:
    """Everything for holders of ``see_all``; otherwise only the principal's own rows."""
    if principal.can(see_all):
        return true()
    return own_rows(principal, owner_column)


def can_act_on_user(principal: Principal, user_id: int) -> bool:
    """A person may change their own account; changing someone else's takes team management."""
    return principal.user_id == user_id or principal.can(Permission.USERS_MANAGE)
