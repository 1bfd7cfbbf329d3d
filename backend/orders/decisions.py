"""What an order's pages offer to do with it: the lifecycle moves that have a button (accept,
release from hold, hold, reject, cancel) and that the transition table allows this person from the
order's status, and whether its lines, address and location may still be edited. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping

from backend.auth.rules import Permission
from backend.orders.rules import Actor, FulfilmentMode, OrderStatus, is_editable, transition_problem

S = OrderStatus

# Action (as named in URLs and forms) → the status it moves the order to; buttons keep this order.
MOVES: Mapping[str, OrderStatus] = {
    "accept": S.ACCEPTED,
    "release": S.PLACED,  # on hold → placed: the review is done, the order waits in the queue again
    "hold": S.ON_HOLD,
    "reject": S.REJECTED,
    "cancel": S.CANCELLED,
}
# A queue card decides whether to take the order; calling one off is done from its own page.
QUEUE_MOVES = ("accept", "release", "hold", "reject")


def offered_moves(status: str, mode: str, actor: Actor, *, own_order: bool = False) -> list[str]:
    """The actions ``actor`` may take on an order in ``status``, in button order."""
    current, how = OrderStatus(status), FulfilmentMode(mode)
    return [
        action
        for action, wanted in MOVES.items()
        if transition_problem(current, wanted, how, actor, own_order=own_order) is None
    ]


def queue_moves(status: str, mode: str, actor: Actor) -> list[str]:
    return [action for action in offered_moves(status, mode, actor) if action in QUEUE_MOVES]


def can_edit(status: str, actor: Actor) -> bool:
    """Lines, address and location change only before picking starts, and only by the team."""
    return is_editable(OrderStatus(status)) and actor.can(Permission.ORDERS_MANAGE)
