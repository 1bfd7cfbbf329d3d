"""Risk hold: explainable rules that set an order aside for a person to look at. Pure Python.

Each rule that fires gives a reason code; the order then goes to ``on_hold`` with the reasons
stored on it and shown wherever it is. Orders typed in by staff are never held: a person already
looked at them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backend.i18n.translation import N_

# The international prefixes of the countries this shop's customers most often call from. A
# number whose prefix is not listed is simply not checked.
PHONE_PREFIXES: Mapping[str, str] = {
    "+33": "FR",
    "+32": "BE",
    "+41": "CH",
    "+352": "LU",
    "+49": "DE",
    "+34": "ES",
    "+39": "IT",
    "+44": "GB",
    "+351": "PT",
    "+31": "NL",
    "+1": "US",
}


@dataclass(frozen=True)
class RiskPolicy:
    first_order_limit_minor: int = 30_000  # a first order above this is held
    recent_orders_limit: int = 3  # this many orders within the window, this one included, are held
    window_minutes: int = 60


@dataclass(frozen=True)
class RiskFacts:
    total_minor: int
    previous_orders: int  # the customer's orders before this one
    recent_same_contact: int  # orders in the window with the same phone or e-mail, before this one
    phone: str | None
    address_country: str | None


def phone_country(phone: str | None) -> str | None:
    if not phone or not phone.startswith("+"):
        return None
    for length in (4, 3, 2):  # longest prefix first: +352 before +35…
        if country := PHONE_PREFIXES.get(phone[:length]):
            return country
    return None


DEFAULT_POLICY = RiskPolicy()


def risk_reasons(facts: RiskFacts, policy: RiskPolicy = DEFAULT_POLICY) -> list[str]:
    """The codes of every rule that fires, in a fixed order; empty when the order may go ahead."""
    reasons = []
    if facts.previous_orders == 0 and facts.total_minor > policy.first_order_limit_minor:
        reasons.append("first_order_above_limit")
    if facts.recent_same_contact + 1 >= policy.recent_orders_limit:
        reasons.append("many_recent_orders")
    country = phone_country(facts.phone)
    if country and facts.address_country and country != facts.address_country:
        reasons.append("country_mismatch")
    return reasons


REASONS: Mapping[str, str] = {
    "first_order_above_limit": N_("First order from this customer, and a large one"),
    "many_recent_orders": N_("Several orders from the same phone or e-mail within an hour"),
    "country_mismatch": N_("The phone number's country is not the delivery address's country"),
}
