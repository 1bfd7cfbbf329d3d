"""What a valid shop profile is. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from backend.catalog.rules import currency_problem
from backend.i18n.translation import SUPPORTED_LOCALES
from backend.web import inputs

DEFAULTS = {"name": "Comptoir", "currency": "EUR", "timezone": "Europe/Paris", "default_locale": "en"}
PREVIEW_AMOUNT_MINOR = 123450
# How long a tracking link keeps working after its order is done, in days.
TRACKING_DAYS = 30
MAX_TRACKING_DAYS = 365


@dataclass(frozen=True)
class ProfileInput:
    name: str
    currency: str
    timezone: str
    default_locale: str
    tracking_days: int | None = None  # None: as it is (a form without the field)


@cache
def timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def problems(profile: ProfileInput) -> dict[str, str]:
    """Field → problem code; empty when the profile is acceptable."""
    found = {}
    if inputs.is_blank(profile.name) or len(profile.name) > 120:
        found["name"] = "name_required" if inputs.is_blank(profile.name) else "name_too_long"
    if problem := currency_problem(profile.currency):
        found["currency"] = problem  # the same rule as a product's: prices are in the shop's currency
    if profile.timezone not in timezones():
        found["timezone"] = "unknown_timezone"
    if profile.default_locale not in SUPPORTED_LOCALES:
        found["default_locale"] = "bad_locale"
    if profile.tracking_days is not None and not 1 <= profile.tracking_days <= MAX_TRACKING_DAYS:
        found["tracking_days"] = "tracking_days_out_of_range"
    return found
