"""Which currencies a price may be in: those in use today, the same rule for every way in."""

from __future__ import annotations

from datetime import date

import pytest
from babel.numbers import list_currencies

from backend.catalog.rules import (
    ProductInput,
    currency_options,
    currency_problem,
    current_currencies,
    problems,
)
from backend.shop.rules import ProfileInput
from backend.shop.rules import problems as profile_problems


def test_the_list_holds_the_currencies_in_use_and_about_half_of_what_babel_names() -> None:
    current = current_currencies(date(2025, 6, 1))
    assert {"EUR", "USD", "GBP", "JPY", "CHF", "XOF", "XPF", "HRK"} - current == {"HRK"}
    assert 140 <= len(current) <= 170 < len(list_currencies())


@pytest.mark.parametrize("code", ["FRF", "DEM", "ITL", "HRK", "VEF", "ZWL", "XAU", "XDR", "XTS", "CLF"])
def test_withdrawn_currencies_funds_and_metals_are_refused_as_no_longer_in_use(code: str) -> None:
    assert currency_problem(code) == "currency_obsolete"


@pytest.mark.parametrize("code", ["XYZ", "EURO", "eur", ""])
def test_codes_no_standard_ever_had_are_unknown(code: str) -> None:
    assert currency_problem(code) == "currency_unknown"


def test_a_currency_ends_on_its_last_day_in_the_data() -> None:
    # Croatia took the euro on 1 January 2023; the kuna stayed legal tender until the 14th.
    assert currency_problem("HRK", date(2023, 1, 14)) is None
    assert currency_problem("HRK", date(2023, 1, 15)) == "currency_obsolete"


def test_a_product_and_the_shop_profile_apply_the_same_rule() -> None:
    product = ProductInput(sku="A-1", name="Apple", price_minor=100, currency="FRF")
    profile = ProfileInput(name="Shop", currency="FRF", timezone="Europe/Paris", default_locale="fr")
    assert problems(product) == {"currency": "currency_obsolete"}
    assert profile_problems(profile) == {"currency": "currency_obsolete"}


def test_options_put_the_shop_currency_first_then_sort_by_code_with_names_in_the_viewer_language() -> None:
    options = currency_options("CHF", "fr", day=date(2025, 6, 1))
    codes = [code for code, _ in options]
    assert codes[0] == "CHF"
    assert codes[1:] == sorted(codes[1:])
    assert len(codes) == len(set(codes)) == len(current_currencies(date(2025, 6, 1)))
    assert dict(options)["USD"] == "USD — dollar des États-Unis"
    assert dict(currency_options("CHF", "en"))["USD"] == "USD — US Dollar"


def test_a_product_priced_in_a_withdrawn_currency_keeps_it_on_its_form_so_nothing_changes_silently() -> None:
    codes = [code for code, _ in currency_options("EUR", "en", shown="FRF")]
    assert codes[:2] == ["EUR", "FRF"]
    assert [code for code, _ in currency_options("EUR", "en", shown="USD")].count("USD") == 1
