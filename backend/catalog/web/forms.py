"""The product form: what was typed, kept as typed, and the product it makes (or its problems)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from backend.catalog import rules
from backend.catalog.rules import ProductInput
from backend.catalog.service import ProductView
from backend.i18n.translation import N_, gettext
from backend.web.responses import FormErrors

FIELDS = ("sku", "name", "price", "currency", "tax_rate", "category", "barcode", "description")
FLAGS = ("active", "allow_backorder")
FIELD_LABELS = {
    "sku": N_("SKU"),
    "name": N_("Name"),
    "price": N_("Price"),
    "currency": N_("Currency"),
    "tax_rate": N_("Tax rate (percent)"),
    "category": N_("Category"),
    "barcode": N_("Barcode"),
    "description": N_("Description"),
    "active": N_("On sale"),
    "allow_backorder": N_("Backorder"),
}


@dataclass
class ProductForm:
    """Field values as strings (as the person typed them) plus the two check boxes."""

    values: dict[str, str] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=lambda: {"active": True, "allow_backorder": False})

    @classmethod
    def of(cls, view: ProductView) -> ProductForm:
        return cls(
            values={
                "sku": view.sku,
                "name": view.name,
                "price": rules.format_price_input(view.price_minor, view.currency),
                "currency": view.currency,
                "tax_rate": rules.format_tax_rate(view.tax_rate_centi),
                "category": view.category or "",
                "barcode": view.barcode or "",
                "description": view.description,
            },
            flags={"active": view.active, "allow_backorder": view.allow_backorder},
        )

    @classmethod
    def read(cls, form: Mapping[str, object], default_currency: str) -> ProductForm:
        values = {name: str(form.get(name) or "").strip()[:6000] for name in FIELDS}
        values["currency"] = (values["currency"] or default_currency).upper()
        return cls(values, {name: form.get(name) in ("on", "true", "1") for name in FLAGS})

    def product(self, errors: FormErrors) -> ProductInput | None:
        values = self.values
        parsed: dict[str, int] = {}
        for name, parse in (
            ("price", lambda: rules.parse_price(values["price"], values["currency"])),
            ("tax_rate", lambda: rules.parse_tax_rate(values["tax_rate"] or "0")),
        ):
            try:
                parsed[name] = parse()
            except ValueError as exc:
                errors.add(name, gettext(rules.MESSAGES[str(exc)]))
        if errors:
            return None
        product = ProductInput(
            sku=rules.normalise_sku(values["sku"]),
            name=values["name"],
            price_minor=parsed["price"],
            currency=values["currency"],
            tax_rate_centi=parsed["tax_rate"],
            description=values["description"],
            category=values["category"] or None,
            barcode=values["barcode"] or None,
            **self.flags,
        )
        for name, code in rules.problems(product).items():
            errors.add(name, gettext(rules.MESSAGES[code]))
        return None if errors else product


def differences(theirs: ProductForm, mine: ProductForm) -> list[tuple[str, str, str]]:
    """(field, their value, my value) for each field that differs — shown on a conflict."""
    found = [(name, theirs.values.get(name, ""), mine.values.get(name, "")) for name in FIELDS]
    found += [(name, _yes_no(theirs.flags[name]), _yes_no(mine.flags[name])) for name in FLAGS]
    return [row for row in found if row[1] != row[2]]


def _yes_no(flag: bool) -> str:
    return gettext("Yes") if flag else gettext("No")
