"""The checkout form: what a shopper types, turned into an order draft or into field errors.

Only what the shopper chooses travels through the form; lines come from the cart and prices from
the catalog when the order is placed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from backend.i18n.translation import N_, gettext
from backend.orders.drafts import Address, CustomerDetails, OrderDraft, WantedLine
from backend.orders.rules import MESSAGES as ORDER_MESSAGES
from backend.orders.rules import Channel, FulfilmentMode, PaymentMethod
from backend.orders.web.form_fields import SLOT_CODES, SLOT_FIELDS, read_slot, split_problems
from backend.storefront.offer import PricedCart

FIELDS = (
    "name",
    "email",
    "phone",
    "mode",
    "line1",
    "postal_code",
    "city",
    "country",
    "location",
    "payment",
    "notes",
    *SLOT_FIELDS,
)
MODES = (FulfilmentMode.DELIVERY, FulfilmentMode.PICKUP)
# How a shopper may pay, by how the goods reach them. No card here: nothing takes card payments yet.
PAYMENTS = {
    FulfilmentMode.DELIVERY: (PaymentMethod.CASH_ON_DELIVERY, PaymentMethod.BANK_TRANSFER),
    FulfilmentMode.PICKUP: (PaymentMethod.CASH, PaymentMethod.BANK_TRANSFER),
}
PAYMENT_LABELS = {
    PaymentMethod.CASH_ON_DELIVERY: N_("Cash on delivery"),
    PaymentMethod.CASH: N_("Pay at pickup"),
    PaymentMethod.BANK_TRANSFER: N_("Bank transfer"),
}
# Every way to pay, with the mode it belongs to ("" for any): the page hides what the mode rules out.
PAYMENT_CHOICES = [
    (PaymentMethod.CASH_ON_DELIVERY.value, FulfilmentMode.DELIVERY.value),
    (PaymentMethod.CASH.value, FulfilmentMode.PICKUP.value),
    (PaymentMethod.BANK_TRANSFER.value, ""),
]
MODE_LABELS = {FulfilmentMode.DELIVERY: N_("Delivery"), FulfilmentMode.PICKUP: N_("Pickup")}

MESSAGES = {
    "name_required": N_("Tell us your name."),
    "contact_required": N_("Give an e-mail address or a phone number so that we can reach you."),
    "email_invalid": N_("This e-mail address does not look right."),
    "phone_invalid": N_("Write the phone number with digits only, such as +33612345678."),
    "address_required": N_("Where should we deliver?"),
    "address_field_required": N_("This part of the address is needed."),
    "country_invalid": N_("Use the two-letter country code, such as FR."),
    "location_invalid": N_("Choose one of the pickup points."),
    "payment_method_invalid": N_("Choose how you will pay."),
    "fulfilment_mode_invalid": N_("Choose delivery or pickup."),
    "notes_too_long": N_("Keep the notes under 1,000 characters."),
    **{code: ORDER_MESSAGES[code] for code in SLOT_CODES},
}
GENERAL = N_("Some of the order could not be taken; see the cart.")


@dataclass
class CheckoutForm:
    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, object]) -> CheckoutForm:
        return cls({name: str(form.get(name) or "").strip()[:1000] for name in FIELDS})

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    # ``form[name]`` in the template: an item, not a call (Jinja's calls cost several times more,
    # and the checkout page reads a dozen fields).
    __getitem__ = get

    @property
    def mode(self) -> str:
        return self.get("mode") or FulfilmentMode.DELIVERY.value


def message_for(code: str) -> str:
    return gettext(MESSAGES.get(code, GENERAL))


def field_problems(problems: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The order service's problems as (form field → message, messages for the whole form)."""
    return split_problems(problems, message_for)


def _choice_problems(form: CheckoutForm, pickup_codes: set[str]) -> dict[str, str]:
    mode = form.mode
    if mode not in {m.value for m in MODES}:
        return {"fulfilment_mode": "fulfilment_mode_invalid"}
    problems = {}
    if form.get("payment") not in {p.value for p in PAYMENTS[FulfilmentMode(mode)]}:
        problems["payment_method"] = "payment_method_invalid"
    if mode == FulfilmentMode.PICKUP and form.get("location") not in pickup_codes:
        problems["location"] = "location_invalid"
    return problems


def draft_of(
    form: CheckoutForm, cart: PricedCart, pickup_codes: set[str], now: datetime
) -> OrderDraft | dict[str, str]:
    """The order to place, or the problems (service field path → code) of the form's own choices.
    A delivery may come with a slot (a day and two times); a pickup ignores what was typed there."""
    problems = _choice_problems(form, pickup_codes)
    slot = read_slot(form.values, now) if form.mode == FulfilmentMode.DELIVERY else None
    if isinstance(slot, dict):
        problems |= slot
    if problems:
        return problems
    mode = FulfilmentMode(form.mode)
    address = None
    if mode == FulfilmentMode.DELIVERY:
        address = Address(
            form.get("line1"), form.get("city"), form.get("postal_code"), form.get("country").upper()
        )
    return OrderDraft(
        customer=CustomerDetails(form.get("name"), form.get("email") or None, form.get("phone") or None),
        lines=[WantedLine(line.sku, line.quantity) for line in cart.lines],
        fulfilment_mode=mode,
        payment_method=PaymentMethod(form.get("payment")),
        channel=Channel.STOREFRONT,
        address=address,
        location=form.get("location") if mode == FulfilmentMode.PICKUP else None,
        notes=form.get("notes"),
        slot=slot if not isinstance(slot, dict) else None,
    )
