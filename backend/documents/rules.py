"""Document rules. Pure Python: the kinds of document, link tokens and their hashes, the coarse
kind of device a User-Agent names, and how the opens of a link are told."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from enum import StrEnum

from backend.auth.rules import Permission
from backend.i18n.translation import N_

TOKEN_BYTES = 32  # 256 bits: a link cannot be guessed, only given
MAX_RECIPIENT = 120
MAX_TOKEN = 100


class Kind(StrEnum):
    INVOICE = "invoice"  # subject: the invoice
    CREDIT_NOTE = "credit_note"  # subject: the credit note (an invoice row of that kind)
    PACKING_SLIP = "packing_slip"  # subject: the order
    PROOF_OF_DELIVERY = "proof_of_delivery"  # subject: the order


class Device(StrEnum):
    PHONE = "phone"
    TABLET = "tablet"
    COMPUTER = "computer"
    BOT = "bot"  # a link preview or a crawler: recorded, never counted as the recipient's open
    OTHER = "other"


KIND_LABELS: Mapping[str, str] = {
    Kind.INVOICE: N_("Invoice"),
    Kind.CREDIT_NOTE: N_("Credit note"),
    Kind.PACKING_SLIP: N_("Packing slip"),
    Kind.PROOF_OF_DELIVERY: N_("Proof of delivery"),
}
DEVICE_LABELS: Mapping[str, str] = {
    Device.PHONE: N_("phone"),
    Device.TABLET: N_("tablet"),
    Device.COMPUTER: N_("computer"),
    Device.BOT: N_("link preview"),
    Device.OTHER: N_("other device"),
}
# Who may share a kind of document (and see who opened it).
SHARED_BY: Mapping[str, Permission] = {
    Kind.INVOICE: Permission.INVOICES_MANAGE,
    Kind.CREDIT_NOTE: Permission.INVOICES_MANAGE,
    Kind.PACKING_SLIP: Permission.ORDERS_MANAGE,
    Kind.PROOF_OF_DELIVERY: Permission.ORDERS_MANAGE,
}
MESSAGES: Mapping[str, str] = {
    "kind_invalid": N_("This kind of document cannot be shared."),
    "recipient_required": N_("Say who the link is for."),
    "recipient_too_long": N_("This is too long."),
    "not_found": N_("There is no such document."),
    "not_issued": N_("Only an issued invoice can be shared."),
    "no_proof": N_("This order has no proof of delivery yet."),
    "email_invalid": N_("Enter one e-mail address."),
}

_BOT = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|whatsapp|telegram|curl|wget|python", re.I
)
_TABLET = re.compile(r"ipad|tablet|kindle|silk|playbook", re.I)
_PHONE = re.compile(r"mobile|iphone|ipod|android|windows phone|blackberry|opera mini", re.I)
_COMPUTER = re.compile(r"windows|macintosh|x11|linux|cros", re.I)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_of(user_agent: str | None) -> Device:
    """The coarse kind of device: never the User-Agent itself, which says more than needed."""
    agent = (user_agent or "")[:512]
    if not agent.strip():
        return Device.OTHER
    if _BOT.search(agent):
        return Device.BOT
    if _TABLET.search(agent) or (re.search("android", agent, re.I) and not re.search("mobile", agent, re.I)):
        return Device.TABLET
    if _PHONE.search(agent):
        return Device.PHONE
    if _COMPUTER.search(agent):
        return Device.COMPUTER
    return Device.OTHER


def recipient_problem(recipient: str) -> str | None:
    if not recipient.strip():
        return "recipient_required"
    if len(recipient) > MAX_RECIPIENT or "\x00" in recipient:
        return "recipient_too_long"
    return None


def counts(device: Device) -> bool:
    """Whether an open is the recipient's: a link preview fetched by a messaging app is not."""
    return device != Device.BOT
