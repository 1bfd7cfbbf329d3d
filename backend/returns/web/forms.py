"""Parsing the return forms: the customer's lines (a quantity and a reason per product), the
receipt's conditions, the refund's method and amount. What cannot be read becomes a form error;
the rules then judge what was read."""

from __future__ import annotations

from collections.abc import Mapping

from backend.catalog.rules import parse_price
from backend.i18n.translation import gettext
from backend.invoicing.rules import MESSAGES as INVOICE_MESSAGES
from backend.returns.rules import MESSAGES
from backend.returns.service import Inspection, WantedLine
from backend.web import inputs
from backend.web.responses import FormErrors


def message(code: str) -> str:
    """A problem code said to people (the refund's come from invoicing)."""
    text = MESSAGES.get(code) or INVOICE_MESSAGES.get(code)
    return gettext(text) if text else code


def add_problems(errors: FormErrors, problems: Mapping[str, str]) -> None:
    for key, code in problems.items():
        errors.add(None if key in ("order", "lines") else key, message(code))


def _text(form: Mapping[str, object], name: str, limit: int = 1000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def wanted_lines(form: Mapping[str, object], skus: list[str], errors: FormErrors) -> tuple[WantedLine, ...]:
    """``qty-<sku>`` and ``reason-<sku>`` per product shown; lines left at 0 are not returned."""
    lines = []
    for sku in skus:
        raw = _text(form, f"qty-{sku}", 12)
        if not raw or raw == "0":
            continue
        quantity = inputs.parse_number(raw)
        if quantity is None:
            errors.add(f"qty-{sku}", message("quantity_invalid"))
            continue
        lines.append(WantedLine(sku, quantity, _text(form, f"reason-{sku}", 32)))
    return tuple(lines)


def inspections(form: Mapping[str, object], skus: list[str]) -> tuple[Inspection, ...]:
    return tuple(
        Inspection(sku, _text(form, f"condition-{sku}", 32))
        for sku in skus
        if _text(form, f"condition-{sku}", 32)
    )


def amount(form: Mapping[str, object], currency: str, errors: FormErrors) -> int | None:
    """The refund's amount typed as people write money; None (left empty): what the lines cost."""
    raw = _text(form, "amount", 30)
    if not raw:
        return None
    try:
        return parse_price(raw, currency)
    except ValueError:
        errors.add("amount", message("amount_invalid"))
        return None


class FormProblem(Exception):
    """A form that could not be read: its errors, before any command ran."""

    def __init__(self, errors: FormErrors) -> None:
        super().__init__("form")
        self.errors = errors


def text(form: Mapping[str, object], name: str, limit: int = 1000) -> str:
    return _text(form, name, limit)


def whole(form: Mapping[str, object], name: str) -> int | None:
    return inputs.parse_number(_text(form, name, 12))
