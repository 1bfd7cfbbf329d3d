"""Money is an integer count of minor units plus an ISO 4217 currency code; never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision

from backend.i18n.translation import babel_locale, current_locale


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("money amounts are whole numbers of minor units")

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.minor + other.minor, self.currency)

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-minor_digits(self.currency))


def minor_digits(currency: str) -> int:
    return get_currency_precision(currency)


def format_money(minor: int, currency: str, locale: str | None = None) -> str:
    """Format for people, e.g. ``1 234,50 €`` in French and ``€1,234.50`` in English."""
    return _formatted(minor, currency, locale or current_locale.get())


@lru_cache(maxsize=8192)
def _formatted(minor: int, currency: str, locale: str) -> str:
    # Babel takes ~10 µs a price; a list page shows 50, and a shop's prices repeat.
    amount = Money(minor, currency).decimal
    return format_currency(amount, currency, locale=babel_locale(locale))
