"""The readable diff of an order edit, recorded with its event and shown on the timeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OrderShape:
    """What an edit can change: quantities per SKU, the address and the location."""

    quantities: Mapping[str, int] = field(default_factory=dict)
    address: str = ""
    location: str = ""


def edit_diff(before: OrderShape, after: OrderShape) -> list[str]:
    """One line per change, e.g. ``APPLE: 2 → 3``, ``+ PEAR × 1``, ``− PLUM × 4``."""
    changes = []
    for sku in sorted(before.quantities.keys() | after.quantities.keys()):
        old, new = before.quantities.get(sku, 0), after.quantities.get(sku, 0)
        if old == new:
            continue
        if not old:
            changes.append(f"+ {sku} × {new}")
        elif not new:
            changes.append(f"− {sku} × {old}")
        else:
            changes.append(f"{sku}: {old} → {new}")
    if before.address != after.address:
        changes.append(f"address: {before.address or '—'} → {after.address or '—'}")
    if before.location != after.location:
        changes.append(f"location: {before.location} → {after.location}")
    return changes
