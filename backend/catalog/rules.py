"""What a valid product is, and how people type prices and tax rates. Pure Python."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache

from babel.core import get_global
from babel.numbers import get_currency_name, get_currency_precision, get_territory_currencies, is_currency

from backend.i18n.translation import N_
from backend.web import inputs

SKU_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{0,63}$")
MAX_PRICE_MINOR = 10**9  # ten million euros: anything above is a typing mistake
MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_CATEGORY = 80

MESSAGES = {
    "sku_invalid": N_("Use 1 to 64 letters, digits, dots, dashes, slashes or underscores."),
    "sku_taken": N_("Another product already has this SKU."),
    "name_required": N_("Enter a name."),
    "name_too_long": N_("Use at most 200 characters."),
    "description_too_long": N_("Use at most 5,000 characters."),
    "price_invalid": N_("Enter a price such as 12.50."),
    "price_negative": N_("A price cannot be negative."),
    "price_too_precise": N_("This currency has fewer decimals."),
    "price_too_large": N_("This price is too large."),
    "currency_unknown": N_("Choose a currency from the list."),
    "currency_obsolete": N_("This currency is no longer in use; choose a current one."),
    "tax_invalid": N_("Enter a tax rate in percent, such as 20 or 5.5."),
    "tax_out_of_range": N_("A tax rate is between 0 and 100."),
    "barcode_invalid": N_("A barcode has 8, 12, 13 or 14 digits with a valid check digit."),
    "category_too_long": N_("Use at most 80 characters."),
    "csv_encoding": N_("The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”."),
    "csv_unreadable": N_("The file could not be read as CSV."),
    "csv_missing_columns": N_("The first line must name the columns; these are missing:"),
    "csv_too_many_rows": N_("The file has more than 50,000 rows; split it."),
    "csv_flag_invalid": N_("Write yes or no."),
    "csv_duplicate_sku": N_("This SKU is already on an earlier line."),
    "csv_empty": N_("The file has no products."),
    "photo_not_an_image": N_("This file is not a JPEG, PNG, WebP or GIF picture."),
    "photo_too_large": N_("This picture is too large (at most %(size)s and %(megapixels)s megapixels)."),
}


class ProductRejected(Exception):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


@dataclass(frozen=True)
class ProductInput:
    """A product as entered, already checked and normalised."""

    sku: str
    name: str
    price_minor: int
    currency: str
    tax_rate_centi: int = 0
    description: str = ""
    category: str | None = None
    barcode: str | None = None
    active: bool = True
    allow_backorder: bool = False


def normalise_sku(raw: str) -> str:
    return raw.strip().upper()


def sku_problem(sku: str) -> str | None:
    return None if SKU_PATTERN.match(sku) else "sku_invalid"


@cache
def _currencies_in_use(day: date) -> frozenset[str]:
    # Babel's list_currencies() is every code CLDR has ever named: ISO 4217's withdrawn ones (FRF,
    # DEM, HRK…), funds, metals and test codes (CLF, XAU, XTS). What a shop can price in is what
    # some country takes as legal tender on that day, which CLDR records per territory with dates.
    territories = get_global("territory_currencies")
    return frozenset(
        code
        for territory in territories
        for code in get_territory_currencies(territory, start_date=day, tender=True, non_tender=False)
    )


def current_currencies(day: date | None = None) -> frozenset[str]:
    """ISO 4217 codes legal tender somewhere today (about 150)."""
    return _currencies_in_use(day or date.today())


def currency_problem(code: str, day: date | None = None) -> str | None:
    if code in current_currencies(day):
        return None
    return "currency_obsolete" if is_currency(code) else "currency_unknown"


def currency_options(
    shop_currency: str, locale: str, shown: str = "", day: date | None = None
) -> list[tuple[str, str]]:
    """(code, "code — name in the viewer's language"), the shop's currency first, then by code so
    that typing a code on a closed list jumps to it. ``shown`` (a product's own currency) is kept
    even when withdrawn: the form must not silently show another one in its place."""
    current = current_currencies(day)
    first = [shop_currency] + ([shown] if shown and shown not in current and shown != shop_currency else [])
    codes = first + sorted(current - set(first))
    return [(code, f"{code} — {get_currency_name(code, locale=locale)}") for code in codes]


def parse_price(raw: str, currency: str) -> int:
    """``"12.50"`` or ``"12,50"`` → 1250 minor units; refuses more decimals than the currency has."""
    text = raw.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError("price_invalid") from None
    if not amount.is_finite():
        raise ValueError("price_invalid")
    if amount < 0:
        raise ValueError("price_negative")
    digits = get_currency_precision(currency)
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError("price_too_precise")
    if minor > MAX_PRICE_MINOR:
        raise ValueError("price_too_large")
    return int(minor)


def format_price_input(minor: int, currency: str) -> str:
    """The plain form-field value for a price (``1250`` → ``"12.50"``)."""
    digits = get_currency_precision(currency)
    return f"{Decimal(minor).scaleb(-digits):.{digits}f}"


def parse_tax_rate(raw: str) -> int:
    """A percentage as text (``"20"``, ``"5.5"``) → hundredths of a percent (2000, 550)."""
    try:
        rate = Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError("tax_invalid") from None
    if not rate.is_finite():
        raise ValueError("tax_invalid")
    centi = rate.scaleb(2)
    if centi != centi.to_integral_value():
        raise ValueError("tax_invalid")
    if not 0 <= centi <= 10000:
        raise ValueError("tax_out_of_range")
    return int(centi)


def format_tax_rate(centi: int) -> str:
    whole, rest = divmod(centi, 100)
    return f"{whole}" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")


def is_valid_barcode(code: str) -> bool:
    """GTIN-8/12/13/14 with its check digit (the last digit), as printed under barcodes."""
    if not (code.isascii() and code.isdigit()) or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(char) for char in code]
    body, check = digits[:-1], digits[-1]
    weighted = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - weighted % 10) % 10 == check


def problems(product: ProductInput) -> dict[str, str]:
    found: dict[str, str] = {}
    if problem := sku_problem(product.sku):
        found["sku"] = problem
    if inputs.is_blank(product.name):
        found["name"] = "name_required"
    elif len(product.name) > MAX_NAME:
        found["name"] = "name_too_long"
    if len(product.description) > MAX_DESCRIPTION:
        found["description"] = "description_too_long"
    if problem := currency_problem(product.currency):
        found["currency"] = problem
    if not 0 <= product.price_minor <= MAX_PRICE_MINOR:
        found["price"] = "price_negative" if product.price_minor < 0 else "price_too_large"
    if not 0 <= product.tax_rate_centi <= 10000:
        found["tax_rate"] = "tax_out_of_range"
    if product.barcode and not is_valid_barcode(product.barcode):
        found["barcode"] = "barcode_invalid"
    if product.category and len(product.category) > MAX_CATEGORY:
        found["category"] = "category_too_long"
    return found


def check(product: ProductInput) -> ProductInput:
    if found := problems(product):
        raise ProductRejected(found)
    return product
