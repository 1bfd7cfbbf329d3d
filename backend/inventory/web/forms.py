"""Reading stock and location forms: values kept as typed for the page, numbers checked strictly,
products and locations looked up the way people name them on a phone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from backend.i18n.translation import gettext
from backend.inventory import levels, rules
from backend.inventory.models import Location
from backend.inventory.rules import LocationInput
from backend.inventory.service import Reorder
from backend.inventory.web import product_picker
from backend.inventory.web.product_picker import Picked
from backend.web import inputs
from backend.web.responses import FormErrors

# ASCII digits only: int() would also take "1_000" or other scripts' digits. Phones may type "−".
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,9}")
ALL_DIGITS = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?[0-9]{1,3}(\.[0-9]{1,10})?")


def message(code: str, **variables: object) -> str:
    return gettext(rules.MESSAGES.get(code, code), **variables)


def text(form: Mapping[str, object], name: str, limit: int = 300) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def parse_whole(raw: str, *, signed: bool = False, allow_zero: bool = False) -> tuple[int | None, str | None]:
    """(number, None) or (None, problem code)."""
    raw = raw.strip().replace("−", "-").replace(" ", "")
    if not WHOLE_NUMBER.fullmatch(raw):
        too_long = ALL_DIGITS.fullmatch(raw) is not None
        return None, "too_large" if too_long else "not_a_whole_number"
    number = int(raw)
    problem = rules.quantity_problem(number, allow_zero=allow_zero, signed=signed)
    if problem == "not_positive" and allow_zero:
        problem = "negative"  # zero is fine here: say so
    return (None, problem) if problem else (number, None)


def whole(
    values: Mapping[str, str],
    name: str,
    errors: FormErrors,
    *,
    signed: bool = False,
    allow_zero: bool = False,
) -> int | None:
    number, problem = parse_whole(values.get(name, ""), signed=signed, allow_zero=allow_zero)
    if problem:
        errors.add(name, message(problem))
    return number


def _coordinate(values: Mapping[str, str], name: str, errors: FormErrors) -> float | None:
    raw = values.get(name, "").replace(",", ".")
    if not raw:
        return None
    if not DECIMAL.fullmatch(raw):
        errors.add(name, message("not_a_number"))
        return None
    return float(raw)


@dataclass
class Typed:
    """A form's fields exactly as typed, to show them again next to their messages."""

    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, object], names: tuple[str, ...]) -> Typed:
        return cls({name: text(form, name) for name in names})

    def get(self, name: str) -> str:
        return self.values.get(name, "")


LOCATION_FIELDS = ("code", "name", "kind", "address", "latitude", "longitude")
LOCATION_FLAGS = ("is_pickup_point", "is_default")


def location_typed(form: Mapping[str, object]) -> Typed:
    typed = Typed.read(form, LOCATION_FIELDS)
    typed.values.update(
        {name: "on" if form.get(name) in ("on", "true", "1") else "" for name in LOCATION_FLAGS}
    )
    return typed


def location_values(location: Location) -> Typed:
    values = {
        "code": location.code,
        "name": location.name,
        "kind": location.kind,
        "address": location.address,
        "latitude": "" if location.latitude is None else str(location.latitude),
        "longitude": "" if location.longitude is None else str(location.longitude),
    }
    values.update({name: "on" if getattr(location, name) else "" for name in LOCATION_FLAGS})
    return Typed(values)


def location_input(typed: Typed, errors: FormErrors) -> LocationInput | None:
    latitude = _coordinate(typed.values, "latitude", errors)
    longitude = _coordinate(typed.values, "longitude", errors)
    if errors:
        return None
    wanted = LocationInput(
        code=typed.get("code"),
        name=typed.get("name"),
        kind=typed.get("kind"),
        address=typed.get("address"),
        latitude=latitude,
        longitude=longitude,
        is_pickup_point=bool(typed.get("is_pickup_point")),
        is_default=bool(typed.get("is_default")),
    )
    add_problems(errors, rules.location_problems(wanted))
    return None if errors else wanted


def add_problems(errors: FormErrors, problems: Mapping[str, str]) -> None:
    for name, code in problems.items():
        errors.add(name, message(code))


async def product_named(session: AsyncSession, typed: Typed, errors: FormErrors) -> Picked:
    picked = await product_picker.pick(session, typed.get("product"))
    if picked.problem:
        errors.add("product", message(picked.problem, term=picked.term))
    return picked


async def location_chosen(session: AsyncSession, typed: Typed, name: str, errors: FormErrors) -> int | None:
    raw = typed.get(name)
    wanted = inputs.parse_id(raw)
    location = await levels.location_by_id(session, wanted) if wanted is not None else None
    if location is None:
        errors.add(name, message("unknown_location"))
        return None
    return location.id


REORDER_FIELDS = ("location", "reorder_point", "reorder_qty", "seen_point", "seen_qty")


def reorder_settings(typed: Typed, errors: FormErrors) -> tuple[Reorder, Reorder] | None:
    """(wanted, seen): the settings asked for and those the page showed (the conflict check)."""
    point = whole(typed.values, "reorder_point", errors, allow_zero=True)
    quantity = whole(typed.values, "reorder_qty", errors, allow_zero=True)
    seen_point, bad_point = parse_whole(typed.get("seen_point"), allow_zero=True)
    seen_quantity, bad_quantity = parse_whole(typed.get("seen_qty"), allow_zero=True)
    if bad_point or bad_quantity:
        errors.add(None, message("form_out_of_date"))
    if errors or point is None or quantity is None or seen_point is None or seen_quantity is None:
        return None
    return Reorder(point, quantity), Reorder(seen_point, seen_quantity)
