"""What the shop domain records, and the sentence it reads as."""

from __future__ import annotations

from typing import Any

from backend.i18n.translation import N_
from backend.kernel.events import DomainEvent, Sentence, says


class ShopUpdated(DomainEvent, tag="shop.updated"):
    changes: dict[str, list[Any]]  # setting → [before, after]


EVENTS: tuple[type[DomainEvent], ...] = (ShopUpdated,)
SENTENCES: dict[type[DomainEvent], Sentence] = {ShopUpdated: says(N_("%(actor)s updated the shop settings"))}
