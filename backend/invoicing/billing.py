"""The seller's legal and billing settings: what every invoice must say about the shop (French and
EU mentions), the payment terms, and which payment methods must be paid before an order leaves.

``billing_problems`` is pure; ``save_billing`` is the one command that changes them, with a
version check like the profile's; ``get_billing`` reads them (the defaults while none are saved).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import iban as iban_number
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

from backend.auth.rules import Permission
from backend.i18n.translation import N_
from backend.invoicing.events import BillingUpdated
from backend.kernel.events import record
from backend.kernel.tx import Tx
from backend.orders.rules import Actor, PaymentMethod
from backend.shop.models import ShopBilling
from backend.shop.service import ProfileConflict, ProfileRejected
from backend.web import inputs

MAX_TERMS_DAYS = 60  # Code de commerce, L. 441-10: at most 60 days from the invoice's date
MAX_CAPITAL_MINOR = 10**15
AUTO_INVOICE_CHOICES = ("", "dispatch", "delivery")  # never, when it leaves, when the customer has it

__all__ = [
    "BillingForbidden",
    "BillingInput",
    "BillingSettings",
    "billing_problems",
    "get_billing",
    "load_billing",
    "save_billing",
]


class BillingForbidden(Exception):
    """The person may not change the shop's settings."""


@dataclass(frozen=True)
class BillingInput:
    legal_name: str = ""
    address_line1: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "FR"
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    legal_form: str = ""
    capital_minor: int | None = None
    vat_exempt: bool = False
    payment_terms_days: int = 30
    late_penalty_rate_centi: int | None = None  # None: three times the legal interest rate
    iban: str = ""
    pay_before_dispatch: tuple[str, ...] = field(default_factory=tuple)
    auto_invoice_at: str = ""  # AUTO_INVOICE_CHOICES: when an order is invoiced by itself


@dataclass(frozen=True)
class BillingSettings(BillingInput):
    """The saved settings, detached (commands may run in another process)."""

    version: int = 0


MESSAGES: Mapping[str, str] = {
    "too_long": N_("This is too long."),
    "bad_siren": N_("A SIREN is 9 digits with a valid check digit."),
    "bad_siret": N_("A SIRET is 14 digits with a valid check digit."),
    "siret_not_siren": N_("The SIRET must start with the SIREN."),
    "bad_vat_number": N_("This is not a valid EU VAT number."),
    "vat_not_siren": N_("A French VAT number must be made from the SIREN."),
    "bad_capital": N_("Enter the share capital as an amount from 0."),
    "bad_terms": N_("Payment terms are 0 to 60 days."),
    "bad_penalty": N_("Enter a yearly rate between 0 and 100 %."),
    "bad_iban": N_("This is not a valid IBAN."),
    "bad_country": N_("Enter a two-letter country code."),
    "bad_method": N_("Unknown payment method."),
    "bad_auto_invoice": N_("Choose when orders are invoiced."),
}

_LIMITS = {"legal_name": 120, "address_line1": 200, "postal_code": 20, "city": 120, "legal_form": 40}


def compact(wanted: BillingInput) -> BillingInput:
    """Numbers as their registers write them: no spaces or dots, letters in capitals."""
    return BillingInput(
        **{
            **asdict(wanted),
            "siren": fr_siren.compact(wanted.siren) if wanted.siren else "",
            "siret": fr_siret.compact(wanted.siret) if wanted.siret else "",
            "vat_number": eu_vat.compact(wanted.vat_number) if wanted.vat_number else "",
            "iban": iban_number.compact(wanted.iban) if wanted.iban else "",
            "country": wanted.country.strip().upper(),
            "pay_before_dispatch": tuple(wanted.pay_before_dispatch),
        }
    )


def billing_problems(wanted: BillingInput) -> dict[str, str]:
    """Field → problem code (``MESSAGES``); empty when the settings are acceptable. Expects
    ``compact`` input."""
    found = {name: "too_long" for name, limit in _LIMITS.items() if len(getattr(wanted, name)) > limit}
    found.update(_register_problems(wanted))
    if wanted.capital_minor is not None and not 0 <= wanted.capital_minor <= MAX_CAPITAL_MINOR:
        found["capital_minor"] = "bad_capital"
    if not 0 <= wanted.payment_terms_days <= MAX_TERMS_DAYS:
        found["payment_terms_days"] = "bad_terms"
    if wanted.late_penalty_rate_centi is not None and not 0 <= wanted.late_penalty_rate_centi <= 10_000:
        found["late_penalty_rate_centi"] = "bad_penalty"
    if wanted.iban and not iban_number.is_valid(wanted.iban):
        found["iban"] = "bad_iban"
    if len(wanted.country) != 2 or not wanted.country.isalpha():
        found["country"] = "bad_country"
    methods = {method.value for method in PaymentMethod}
    if any(method not in methods for method in wanted.pay_before_dispatch):
        found["pay_before_dispatch"] = "bad_method"
    if wanted.auto_invoice_at not in AUTO_INVOICE_CHOICES:
        found["auto_invoice_at"] = "bad_auto_invoice"
    return found


def _register_problems(wanted: BillingInput) -> dict[str, str]:
    found = {}
    if wanted.siren and not fr_siren.is_valid(wanted.siren):
        found["siren"] = "bad_siren"
    if wanted.siret and not fr_siret.is_valid(wanted.siret):
        found["siret"] = "bad_siret"
    elif wanted.siret and wanted.siren and not wanted.siret.startswith(wanted.siren):
        found["siret"] = "siret_not_siren"
    if wanted.vat_number and not eu_vat.is_valid(wanted.vat_number):
        found["vat_number"] = "bad_vat_number"
    elif wanted.vat_number.startswith("FR") and wanted.siren and wanted.vat_number[4:] != wanted.siren:
        found["vat_number"] = "vat_not_siren"
    return found


def _settings(row: ShopBilling | None) -> BillingSettings:
    if row is None:
        return BillingSettings()
    values = {name: getattr(row, name) for name in BillingInput.__dataclass_fields__}
    values["pay_before_dispatch"] = tuple(values["pay_before_dispatch"] or ())
    return BillingSettings(**values, version=row.version)


async def get_billing(session: AsyncSession) -> BillingSettings:
    return _settings(await session.get(ShopBilling, 1))


_COLUMNS = ", ".join(BillingSettings.__dataclass_fields__)
_READ = f"SELECT {_COLUMNS} FROM shop_billing WHERE id = 1"  # noqa: S608 - the dataclass's own names


def load_billing(tx: Tx) -> BillingSettings:
    """The settings inside a command (an invoice copies them when it is issued). Plain SQL: every
    issue reads them, and through the ORM this read was a fifth of an issue's time."""
    row = tx.execute(_READ).fetchone()
    if row is None:
        return BillingSettings()
    values = dict(zip(BillingSettings.__dataclass_fields__, row, strict=True))
    values["vat_exempt"] = bool(values["vat_exempt"])  # SQLite's 0 or 1
    methods = values["pay_before_dispatch"]  # JSON text, as plain SQL reads it
    values["pay_before_dispatch"] = tuple(
        msgspec.json.decode(methods) if isinstance(methods, str) else methods or ()
    )
    return BillingSettings(**values)


def save_billing(tx: Tx, actor: Actor, wanted: BillingInput, expected_version: int | None) -> BillingSettings:
    """Check and save the settings; raises ``ProfileRejected`` (field → code) or
    ``ProfileConflict`` (someone saved since ``expected_version``)."""
    if not actor.can(Permission.SETTINGS_MANAGE):
        raise BillingForbidden
    wanted = compact(wanted)
    if found := billing_problems(wanted) or _text_problems(wanted):
        raise ProfileRejected(found)
    session = tx.session
    row = session.get(ShopBilling, 1)
    if row is None:
        row = ShopBilling(id=1, version=0, pay_before_dispatch=[])
        session.add(row)
    if expected_version is not None and row.version != expected_version:
        raise ProfileConflict(_settings(row))  # type: ignore[arg-type]
    values = {**asdict(wanted), "pay_before_dispatch": list(wanted.pay_before_dispatch)}
    changes = {key: [getattr(row, key), value] for key, value in values.items() if getattr(row, key) != value}
    if changes:
        for key, (_, value) in changes.items():
            setattr(row, key, value)
        row.version += 1
        session.flush()
        record(tx, BillingUpdated(changes=changes), "shop:1", actor.user_id)
    return _settings(row)


def _text_problems(wanted: BillingInput) -> dict[str, str]:
    """Text a database column refuses (NUL) is refused here rather than by the driver."""
    return {
        name: "too_long"
        for name in (*_LIMITS, "siren", "siret", "vat_number", "iban")
        if inputs.nul_at(getattr(wanted, name))
    }
