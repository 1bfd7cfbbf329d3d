"""Who may do what: roles, permissions and their defaults. Pure Python, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from backend.auth import common_passwords
from backend.i18n.translation import N_


class Role(StrEnum):
    OWNER = "owner"  # runs the shop; every permission, cannot be restricted
    STAFF = "staff"  # works orders and stock; permissions adjustable by the owner
    DRIVER = "driver"  # delivers today's run; sees only their own stops
    CUSTOMER = "customer"  # orders and follows their own orders


class Permission(StrEnum):
    ORDERS_VIEW = "orders.view"
    ORDERS_MANAGE = "orders.manage"
    ORDERS_PLACE = "orders.place"
    CATALOG_VIEW = "catalog.view"
    CATALOG_EDIT = "catalog.edit"
    STOCK_VIEW = "stock.view"
    STOCK_ADJUST = "stock.adjust"
    PURCHASING_MANAGE = "purchasing.manage"
    CUSTOMERS_VIEW = "customers.view"
    DELIVERIES_MANAGE = "deliveries.manage"
    DELIVERIES_PERFORM = "deliveries.perform"
    PAYMENTS_MANAGE = "payments.manage"
    INVOICES_MANAGE = "invoices.manage"
    RETURNS_MANAGE = "returns.manage"
    REPORTS_VIEW = "reports.view"
    ACTIVITY_VIEW = "activity.view"
    USERS_MANAGE = "users.manage"
    SETTINGS_MANAGE = "settings.manage"
    SHOP_ORDER = "shop.order"
    API_USE = "api.use"


STAFF_ROLES = frozenset({Role.OWNER, Role.STAFF})

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.STAFF: frozenset(
        {
            Permission.ORDERS_VIEW,
            Permission.ORDERS_MANAGE,
            Permission.ORDERS_PLACE,
            Permission.CATALOG_VIEW,
            Permission.CATALOG_EDIT,
            Permission.STOCK_VIEW,
            Permission.STOCK_ADJUST,
            Permission.CUSTOMERS_VIEW,
            Permission.DELIVERIES_MANAGE,
            Permission.PAYMENTS_MANAGE,
            Permission.INVOICES_MANAGE,
            Permission.RETURNS_MANAGE,
            Permission.ACTIVITY_VIEW,
            Permission.API_USE,
        }
    ),
    Role.DRIVER: frozenset({Permission.DELIVERIES_PERFORM}),
    Role.CUSTOMER: frozenset({Permission.SHOP_ORDER}),
}

# The owner may widen or narrow these roles' permissions person by person, but only within this
# set: a driver can be allowed to see orders, never to manage users.
ADJUSTABLE_ROLES = frozenset({Role.STAFF, Role.DRIVER})
GRANTABLE = frozenset(Permission) - {Permission.USERS_MANAGE, Permission.SHOP_ORDER}


def effective_permissions(role: Role, overrides: Mapping[str, bool]) -> frozenset[Permission]:
    """The role's defaults with the user's overrides applied (owners are never restricted)."""
    granted = set(ROLE_PERMISSIONS[role])
    if role not in ADJUSTABLE_ROLES:
        return frozenset(granted)
    for name, is_granted in overrides.items():
        try:
            permission = Permission(name)
        except ValueError:
            continue
        if permission not in GRANTABLE:
            continue
        if is_granted:
            granted.add(permission)
        else:
            granted.discard(permission)
    return frozenset(granted)


def overrides_for(role: Role, wanted: Iterable[Permission]) -> dict[str, bool]:
    """The smallest set of overrides that turns the role's defaults into ``wanted``."""
    defaults = ROLE_PERMISSIONS[role] & GRANTABLE
    wanted_set = set(wanted) & GRANTABLE
    changes = {p.value: True for p in wanted_set - defaults}
    changes.update({p.value: False for p in defaults - wanted_set})
    return changes


def is_staff(role: Role) -> bool:
    return role in STAFF_ROLES


EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


def normalise_email(raw: str) -> str:
    return raw.strip().lower()


def is_valid_email(email: str) -> bool:
    return len(email) <= 254 and bool(EMAIL_PATTERN.match(email))


def password_problem(password: str) -> str | None:
    """A reason the password is unacceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "too_long"
    if common_passwords.is_common(password):
        return "too_common"
    return None


# -- API tokens ----------------------------------------------------------------------------------

TOKEN_LIFETIMES_DAYS = (30, 90, 365)  # offered on the tokens page, besides "no expiry"
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 3650
MAX_TOKEN_LABEL = 100


class TokenStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def token_status(revoked_at: datetime | None, expires_at: datetime | None, now: datetime) -> TokenStatus:
    if revoked_at is not None:
        return TokenStatus.REVOKED
    if expires_at is not None and expires_at <= now:
        return TokenStatus.EXPIRED
    return TokenStatus.ACTIVE


def token_expiry(raw: str, now: datetime) -> datetime | None:
    """When a token asked to expire at ``raw`` ends: "" for never, a number of days ("90" or
    "90d"), or an ISO 8601 date or time (a date means its midnight, UTC). ValueError otherwise."""
    raw = raw.strip().lower()
    if not raw or raw == "never":
        return None
    days = raw.removesuffix("d")
    if days.isdigit():
        if not 1 <= int(days) <= MAX_TOKEN_DAYS:
            raise ValueError(f"between 1 and {MAX_TOKEN_DAYS} days")
        return now + timedelta(days=int(days))
    moment = datetime.fromisoformat(raw)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment <= now:
        raise ValueError("in the past")
    if moment > now + timedelta(days=MAX_TOKEN_DAYS):
        raise ValueError(f"more than {MAX_TOKEN_DAYS} days ahead")
    return moment


TOKEN_STATUS_LABELS: Mapping[TokenStatus, str] = {
    TokenStatus.ACTIVE: N_("Active"),
    TokenStatus.EXPIRED: N_("Expired"),
    TokenStatus.REVOKED: N_("Revoked"),
}

# -- invitations ---------------------------------------------------------------------------------

# The owner invites the people who work in the shop; customers sign up themselves, and an owner
# is made from the command line only.
INVITABLE_ROLES = (Role.STAFF, Role.DRIVER)


class InvitationStatus(StrEnum):
    PENDING = "pending"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


def invitation_status(
    used_at: datetime | None, revoked_at: datetime | None, expires_at: datetime, now: datetime
) -> InvitationStatus:
    """What became of an invitation; only a pending one can still be used or revoked."""
    if used_at is not None:
        return InvitationStatus.USED
    if revoked_at is not None:
        return InvitationStatus.REVOKED
    if expires_at <= now:
        return InvitationStatus.EXPIRED
    return InvitationStatus.PENDING


def invitation_problems(email: str, name: str, role: str) -> dict[str, str]:
    """Field → problem code for an invitation as typed (``email`` already normalised)."""
    found = {}
    if not is_valid_email(email):
        found["email"] = "invalid_email"
    if not name.strip():
        found["name"] = "name_required"
    elif len(name.strip()) > 120:
        found["name"] = "name_too_long"
    if role not in INVITABLE_ROLES:
        found["role"] = "role_not_invitable"
    return found


INVITATION_STATUS_LABELS: Mapping[InvitationStatus, str] = {
    InvitationStatus.PENDING: N_("Pending"),
    InvitationStatus.USED: N_("Used"),
    InvitationStatus.EXPIRED: N_("Expired"),
    InvitationStatus.REVOKED: N_("Revoked"),
}

ROLE_LABELS: Mapping[Role, str] = {
    Role.OWNER: N_("Owner"),
    Role.STAFF: N_("Staff"),
    Role.DRIVER: N_("Driver"),
    Role.CUSTOMER: N_("Customer"),
}

PERMISSION_LABELS: Mapping[Permission, str] = {
    Permission.ORDERS_VIEW: N_("See orders"),
    Permission.ORDERS_MANAGE: N_("Accept, change and cancel orders"),
    Permission.ORDERS_PLACE: N_("Take orders for customers"),
    Permission.CATALOG_VIEW: N_("See the catalog"),
    Permission.CATALOG_EDIT: N_("Edit products and prices"),
    Permission.STOCK_VIEW: N_("See stock"),
    Permission.STOCK_ADJUST: N_("Adjust and transfer stock"),
    Permission.PURCHASING_MANAGE: N_("Order from suppliers and receive goods"),
    Permission.CUSTOMERS_VIEW: N_("See customers"),
    Permission.DELIVERIES_MANAGE: N_("Plan delivery runs"),
    Permission.DELIVERIES_PERFORM: N_("Deliver and confirm drop-offs"),
    Permission.PAYMENTS_MANAGE: N_("Record payments"),
    Permission.INVOICES_MANAGE: N_("Create invoices and credit notes"),
    Permission.RETURNS_MANAGE: N_("Handle returns and refunds"),
    Permission.REPORTS_VIEW: N_("See reports and figures"),
    Permission.ACTIVITY_VIEW: N_("See the team's activity live"),
    Permission.USERS_MANAGE: N_("Manage the team"),
    Permission.SETTINGS_MANAGE: N_("Change the shop settings"),
    Permission.SHOP_ORDER: N_("Order from the shop"),
    Permission.API_USE: N_("Use the API"),
}
