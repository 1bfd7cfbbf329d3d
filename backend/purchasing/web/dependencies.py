"""What purchasing gives the domains below it: what the inventory's stock commands do about a level
that fell low (``on_low``, ``backend/inventory/web/dependencies.py``): draft a reorder. It replaces
the inventory's own, which does nothing; the app adds the plugins' dependencies in its order, which
puts purchasing after the inventory."""

from __future__ import annotations

from litestar.di import Provide

from backend.inventory import settling
from backend.purchasing.reorder import draft_reorder


def provide_on_low() -> settling.OnLow:
    return draft_reorder


DEPENDENCIES = {"on_low": Provide(provide_on_low, sync_to_thread=False)}
