"""JSON shapes of the returns API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from backend.web.inputs import MAX_ID

Note = Annotated[str, msgspec.Meta(max_length=1000)]
Sku = Annotated[str, msgspec.Meta(max_length=64)]
Code = Annotated[str, msgspec.Meta(max_length=32)]
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
Units = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]  # checked further by the rules
Minor = Annotated[int, msgspec.Meta(ge=-(2**62), le=2**62)]


class ReturnLineIn(msgspec.Struct):
    sku: Sku
    quantity: Units
    reason: Code


class ReturnIn(msgspec.Struct):
    order: Id
    lines: list[ReturnLineIn]
    note: Note = ""


class MoveIn(msgspec.Struct, forbid_unknown_fields=True):
    """Approve or refuse: the version read (optional) and a note (required to refuse)."""

    version: Units | None = None
    note: Note = ""


class InspectionIn(msgspec.Struct):
    sku: Sku
    condition: Code


class ReceiveIn(msgspec.Struct, forbid_unknown_fields=True):
    lines: list[InspectionIn]
    version: Units | None = None


class ReturnRefundIn(msgspec.Struct, forbid_unknown_fields=True):
    """Both optional: the order's payment method, and what the returned lines cost (the credit
    note's total when the order was invoiced)."""

    version: Units | None = None
    method: Code | None = None
    amount_minor: Minor | None = None


class ReturnLineOut(msgspec.Struct):
    sku: str
    name: str
    quantity: int
    reason: str
    condition: str | None
    restocked: int


class ReturnOut(msgspec.Struct):
    id: int
    order: int
    order_number: str
    status: str
    note: str
    decision_note: str
    refund_minor: int
    currency: str
    credit_note: int | None
    credit_note_number: str | None
    requested_at: datetime
    version: int
    lines: list[ReturnLineOut]


class ReturnListOut(msgspec.Struct):
    items: list[ReturnOut]


RETURN_IN_EXAMPLE = {"order": 42, "lines": [{"sku": "APPLE", "quantity": 1, "reason": "damaged"}]}
MOVE_EXAMPLE = {"version": 1, "note": "Within the window"}
RECEIVE_EXAMPLE = {"version": 2, "lines": [{"sku": "APPLE", "condition": "as_new"}]}
REFUND_EXAMPLE = {"version": 3, "method": "card"}
RETURN_EXAMPLE = {
    "id": 7,
    "order": 42,
    "order_number": "C-000042",
    "status": "requested",
    "note": "",
    "decision_note": "",
    "refund_minor": 0,
    "currency": "EUR",
    "credit_note": None,
    "credit_note_number": None,
    "requested_at": "2026-12-06T10:42:00Z",
    "version": 1,
    "lines": [
        {
            "sku": "APPLE",
            "name": "Apple",
            "quantity": 1,
            "reason": "damaged",
            "condition": None,
            "restocked": 0,
        }
    ],
}
RETURN_LIST_EXAMPLE = {"items": [RETURN_EXAMPLE]}
