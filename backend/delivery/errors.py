"""What the delivery commands raise, besides the orders domain's own errors. Each leaves the
database exactly as it was."""

from __future__ import annotations

__all__ = ["DeliveryConflict", "DeliveryForbidden", "DeliveryRejected", "RunNotFound", "StopNotFound"]


class DeliveryRejected(Exception):
    """The request itself is wrong (field → problem code of ``rules.MESSAGES``). The API: 422."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


class DeliveryForbidden(Exception):
    """Not this person's run, or not their right. The API: 403."""


class RunNotFound(Exception):
    pass


class StopNotFound(Exception):
    """No such stop on this run (``stop_not_on_run``). The API: 404."""


class DeliveryConflict(Exception):
    """The run, a stop or an order is no longer as the caller saw it, or not in a state that
    allows this (``code`` of ``rules.MESSAGES``); ``what`` names what changed, small and flat
    (``{"order": "ORD-000012", "status": "cancelled"}``). The API: 409."""

    def __init__(self, code: str, **what: str | int) -> None:
        super().__init__(code)
        self.code = code
        self.what = what
