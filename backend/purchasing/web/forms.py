"""Reading supplier and purchase order forms."""

from __future__ import annotations

from collections.abc import Mapping

from backend.i18n.translation import gettext
from backend.inventory.web.forms import Typed, parse_whole
from backend.purchasing import rules
from backend.purchasing.models import Supplier
from backend.purchasing.rules import PurchaseStatus, SupplierInput
from backend.purchasing.service import LineView, Receipt
from backend.web import inputs
from backend.web.responses import FormErrors

SUPPLIER_FIELDS = ("name", "email", "phone", "lead_time_days", "fingerprint")


def message(code: str, **variables: object) -> str:
    return gettext(rules.MESSAGES.get(code, code), **variables)


def add_problems(errors: FormErrors, problems: Mapping[str, str], **variables: object) -> None:
    for name, code in problems.items():
        errors.add(name, message(code, **variables))


def chosen_id(typed: Typed, name: str) -> int:
    """The id picked in a list; 0, which names nothing, when the form sent anything else."""
    return inputs.parse_id(typed.get(name)) or 0


def supplier_values(supplier: Supplier) -> Typed:
    wanted = SupplierInput(supplier.name, supplier.email, supplier.phone, supplier.lead_time_days)
    values = {"name": wanted.name, "email": wanted.email, "phone": wanted.phone}
    values |= {
        "lead_time_days": str(wanted.lead_time_days),
        "fingerprint": rules.supplier_fingerprint(wanted),
    }
    return Typed(values)


def supplier_input(typed: Typed, errors: FormErrors) -> SupplierInput | None:
    days, problem = parse_whole(typed.get("lead_time_days") or "0", allow_zero=True)
    if problem or days is None:
        errors.add("lead_time_days", message("lead_time_range"))
        return None
    wanted = SupplierInput(typed.get("name"), typed.get("email").lower(), typed.get("phone"), days)
    add_problems(errors, rules.supplier_problems(wanted))
    return None if errors else wanted


def receipts(form: Mapping[str, object], lines: list[LineView], errors: FormErrors) -> list[Receipt]:
    """``received_<line id>`` per line; blank or 0 means nothing arrived for that line."""
    found = []
    for line in lines:
        raw = form.get(f"received_{line.id}")
        typed = raw.strip() if isinstance(raw, str) else ""
        if typed in ("", "0"):
            continue
        quantity, problem = parse_whole(typed)
        if problem or quantity is None:
            errors.add(f"received_{line.id}", message(problem or "not_a_whole_number"))
        elif quantity > line.outstanding:
            errors.add(f"received_{line.id}", message("over_outstanding", outstanding=line.outstanding))
        else:
            found.append(Receipt(line.id, quantity))
    if not found and not errors:
        errors.add(None, message("nothing_received"))
    return found


def add_rejection(errors: FormErrors, problems: Mapping[str, str], details: Mapping[str, str]) -> None:
    """A service refusal on the order page: statuses named as people read them, line problems
    placed on their line's field."""
    labels = {key: gettext(rules.STATUS_LABELS[PurchaseStatus(value)]) for key, value in details.items()}
    for key, code in problems.items():
        errors.add(f"received_{key}" if key.isdigit() else None, message(code, **labels))
