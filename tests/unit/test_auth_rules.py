from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest

from backend.auth.rules import (
    GRANTABLE,
    ROLE_PERMISSIONS,
    InvitationStatus,
    Permission,
    Role,
    TokenStatus,
    effective_permissions,
    invitation_problems,
    invitation_status,
    is_valid_email,
    normalise_email,
    overrides_for,
    password_problem,
    token_expiry,
    token_status,
)
from backend.auth.web.guards import requires, signed_in


def test_owners_have_every_permission_whatever_the_overrides() -> None:
    assert effective_permissions(Role.OWNER, {"users.manage": False}) == frozenset(Permission)


def test_overrides_widen_and_narrow_staff_permissions() -> None:
    granted = effective_permissions(Role.STAFF, {"reports.view": True, "catalog.edit": False})
    assert Permission.REPORTS_VIEW in granted
    assert Permission.CATALOG_EDIT not in granted


def test_overrides_can_never_grant_team_management_or_unknown_permissions() -> None:
    granted = effective_permissions(Role.DRIVER, {"users.manage": True, "root": True})
    assert granted == ROLE_PERMISSIONS[Role.DRIVER]


def test_customers_cannot_be_given_staff_rights() -> None:
    assert effective_permissions(Role.CUSTOMER, {"orders.manage": True}) == ROLE_PERMISSIONS[Role.CUSTOMER]


def test_overrides_for_is_the_smallest_change_that_reaches_the_wanted_set() -> None:
    wanted = (ROLE_PERMISSIONS[Role.STAFF] - {Permission.STOCK_ADJUST}) | {Permission.REPORTS_VIEW}
    changes = overrides_for(Role.STAFF, wanted)
    assert changes == {"stock.adjust": False, "reports.view": True}
    assert effective_permissions(Role.STAFF, changes) == wanted & (GRANTABLE | ROLE_PERMISSIONS[Role.STAFF])


def test_emails_are_normalised_and_checked() -> None:
    assert normalise_email("  Olive@Shop.TEST ") == "olive@shop.test"
    assert is_valid_email("olive@shop.test")
    for bad in ("olive", "olive@", "@shop.test", "olive@shop", "o live@shop.test", "a@b.c"):
        assert not is_valid_email(bad), bad


def test_passwords_need_ten_to_256_characters() -> None:
    assert password_problem("short") == "too_short"
    assert password_problem("x" * 257) == "too_long"
    assert password_problem("long enough!") is None


def test_common_passwords_are_refused_whatever_their_case() -> None:
    assert password_problem("password123") == "too_common"
    assert password_problem("Password123") == "too_common"
    assert password_problem("QWERTYUIOP") == "too_common"
    assert password_problem("correct horse battery") is None


def test_guards_are_coroutines_so_the_framework_runs_them_in_the_event_loop() -> None:
    # A plain function guard would be sent to a worker thread on every request.
    assert inspect.iscoroutinefunction(signed_in)
    assert inspect.iscoroutinefunction(requires(Permission.ORDERS_VIEW))


def test_a_token_expiry_is_a_number_of_days_a_future_date_or_never() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert token_expiry("", now) is None
    assert token_expiry("never", now) is None
    assert token_expiry("90", now) == token_expiry("90d", now) == now + timedelta(days=90)
    assert token_expiry("2027-01-31", now) == datetime(2027, 1, 31, tzinfo=UTC)
    for bad in ("0", "0d", "3651d", "2026-11-30", "soon", "2040-01-01"):
        with pytest.raises(ValueError, match=r"days|past|isoformat"):
            token_expiry(bad, now)


def test_a_tokens_status_is_revoked_before_expired_before_active() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    past, future = now - timedelta(seconds=1), now + timedelta(days=1)
    assert token_status(None, None, now) is TokenStatus.ACTIVE
    assert token_status(None, future, now) is TokenStatus.ACTIVE
    assert token_status(None, now, now) is TokenStatus.EXPIRED
    assert token_status(past, future, now) is TokenStatus.REVOKED


def test_an_invitation_is_used_before_revoked_before_expired_before_pending() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    past, future = now - timedelta(seconds=1), now + timedelta(days=7)
    assert invitation_status(None, None, future, now) is InvitationStatus.PENDING
    assert invitation_status(None, None, now, now) is InvitationStatus.EXPIRED
    assert invitation_status(None, past, past, now) is InvitationStatus.REVOKED
    assert invitation_status(past, past, past, now) is InvitationStatus.USED


def test_only_staff_and_drivers_are_invited_by_a_named_address() -> None:
    assert invitation_problems("sam@shop.test", "Sam", "staff") == {}
    assert invitation_problems("sam@shop.test", "Sam", "driver") == {}
    assert invitation_problems("sam", " ", "owner") == {
        "email": "invalid_email",
        "name": "name_required",
        "role": "role_not_invitable",
    }
    assert invitation_problems("sam@shop.test", "n" * 121, "customer") == {
        "name": "name_too_long",
        "role": "role_not_invitable",
    }
