"""What a refused delivery action answers, worked out once for the API (problem JSON) and the
pages (the form again with its message): the status, the message, the field problems and what
changed meanwhile."""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.delivery.errors import (
    DeliveryConflict,
    DeliveryForbidden,
    DeliveryRejected,
    RunNotFound,
    StopNotFound,
)
from backend.delivery.proofs import ProofRejected
from backend.delivery.rules import MESSAGES
from backend.i18n.translation import N_, gettext
from backend.orders.errors import OrderForbidden, OrderNotFound, StaleOrder, TransitionRefused

REFUSALS = (
    DeliveryRejected,
    ProofRejected,
    DeliveryForbidden,
    RunNotFound,
    StopNotFound,
    DeliveryConflict,
    OrderNotFound,
    OrderForbidden,
    StaleOrder,
    TransitionRefused,
)

NOT_YOURS = N_("This run is not yours.")
NO_RUN = N_("There is no such run.")
NO_ORDER = N_("There is no such order.")


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    problems: dict[str, str] = field(default_factory=dict)  # field → code
    code: str = ""
    current: dict[str, str | int] = field(default_factory=dict)

    def errors(self) -> list[dict[str, str]]:
        return [
            {"key": key, "code": code, "message": message_of(code)} for key, code in self.problems.items()
        ]


def message_of(code: str) -> str:
    return gettext(MESSAGES[code]) if code in MESSAGES else code


def refusal(exc: Exception) -> Refusal:
    """The answer to a refused action (one of ``REFUSALS``)."""
    if isinstance(exc, DeliveryRejected | ProofRejected):
        first = next(iter(exc.problems.values()), "")
        return Refusal(422, message_of(first), dict(exc.problems))
    if isinstance(exc, DeliveryConflict):
        return Refusal(409, message_of(exc.code), code=exc.code, current=dict(exc.what))
    if isinstance(exc, StopNotFound):
        return Refusal(404, message_of("stop_not_on_run"), {"stop": "stop_not_on_run"}, "stop_not_on_run")
    for kinds, status, message in SIMPLE:
        if isinstance(exc, kinds):
            return Refusal(status, gettext(message), code="order_changed" if status == 409 else "")
    raise exc


SIMPLE: tuple[tuple[tuple[type[Exception], ...], int, str], ...] = (
    ((DeliveryForbidden, OrderForbidden), 403, NOT_YOURS),
    ((RunNotFound,), 404, NO_RUN),
    ((OrderNotFound,), 404, NO_ORDER),
    ((StaleOrder, TransitionRefused), 409, MESSAGES["order_changed"]),
)
