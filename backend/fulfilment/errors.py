"""What the fulfilment commands raise, besides the orders domain's own errors (``OrderNotFound``,
``OrderForbidden``, ``TransitionRefused``). Each leaves the database exactly as it was."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.orders.errors import StaleOrder

if TYPE_CHECKING:
    from backend.orders.views import OrderSummary

__all__ = ["FulfilmentRejected", "PickConflict"]


class FulfilmentRejected(Exception):
    """The request itself is wrong (field → problem code of ``rules.MESSAGES``): a product not on
    the order, more than ordered, a bad parcel count or tracking number. The API answers 422."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


class PickConflict(StaleOrder):
    """Someone else got there first: another picker has the order (``picked_by_another``), or
    changed it since the caller read it (``changed_by_another``). ``by`` names them (None when
    the change was not theirs through fulfilment). A stale version, so the API answers 409."""

    def __init__(self, code: str, current: OrderSummary, by: str | None) -> None:
        super().__init__(current)
        self.code = code
        self.by = by
