"""What placing and editing share, inside their transaction: products looked up by SKU and priced
from the catalog, the serving location chosen, the stock held through the inventory core and the
lines written with their totals.

Synchronous SQL (``backend.kernel.tx``): placing runs it in the SQLite writer thread through
``Database.run``, where a statement costs microseconds; editing runs it inside its session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backend.catalog.queries import ForSale, products_by_sku
from backend.catalog.rules import normalise_sku
from backend.inventory import holds, queries
from backend.inventory.errors import InsufficientStock
from backend.inventory.rules import Line
from backend.kernel.tx import Tx, values_rows
from backend.orders import pricing, routing
from backend.orders.drafts import OrderRejected, WantedLine
from backend.orders.errors import OutOfStock, ShortLine
from backend.orders.rules import FulfilmentMode

_FORGET_LINES = "DELETE FROM order_lines WHERE order_id = :order_id"
_LINE_COLUMNS = (
    "order_id",
    "position",
    "product_id",
    "sku",
    "name",
    "quantity",
    "unit_price_minor",
    "tax_rate_centi",
    "net_minor",
    "tax_minor",
    "total_minor",
    "backordered",
)


Sellable = ForSale  # a product as an order line needs it: the catalog says


@dataclass(frozen=True)
class Place:
    """A stock location as an order needs it."""

    id: int
    code: str


def reference(order_id: int) -> str:
    """The reservation reference of an order."""
    return f"order:{order_id}"


def products_for(tx: Tx, lines: list[WantedLine]) -> dict[str, Sellable]:
    """SKU → product for sale; an unknown or archived SKU is named by its line."""
    skus = sorted({normalise_sku(line.sku) for line in lines})
    found = products_by_sku(tx, skus)
    unknown = {
        f"lines[{n}].sku": "sku_unknown"
        for n, line in enumerate(lines)
        if normalise_sku(line.sku) not in found
    }
    if unknown:
        raise OrderRejected(unknown)
    if len({product.currency for product in found.values()}) > 1:
        raise OrderRejected({"lines": "currency_mixed"})
    return found


def price(
    lines: list[WantedLine],
    products: Mapping[str, Sellable],
    sold_at: Mapping[int, tuple[int, int]] | None = None,
) -> list[pricing.PricedLine]:
    """Lines priced from the catalog; products already on the order keep the price and tax rate
    they were sold at (``sold_at``: product id → (unit price, tax rate))."""
    merged = pricing.merge_quantities((normalise_sku(line.sku), line.quantity) for line in lines)
    priced = []
    for sku, quantity in merged.items():
        product = products[sku]
        unit, rate = (sold_at or {}).get(product.id, (product.price_minor, product.tax_rate_centi))
        priced.append(pricing.PricedLine(product.id, sku, product.name, quantity, unit, rate))
    return priced


def _sites(tx: Tx, product_ids: list[int]) -> list[routing.Site]:
    places = queries.locations(tx)
    free = queries.free_by_location(tx, product_ids)
    return [
        routing.Site(
            p.id, p.code, p.is_default, p.is_pickup_point, p.latitude, p.longitude, free.get(p.id, {})
        )
        for p in places
    ]


def _named(tx: Tx, mode: str, code: str) -> Place:
    found = queries.location_by_code(tx, code.strip())
    if found is None:
        raise OrderRejected({"location": "location_unknown"})
    if mode == FulfilmentMode.PICKUP and not found.is_pickup_point:
        raise OrderRejected({"location": "not_a_pickup_point"})
    return Place(found.id, found.code)


def choose_location(
    tx: Tx,
    mode: str,
    code: str | None,
    *,
    priced: list[pricing.PricedLine],
    destination: tuple[float, float] | None,
    backorderable: frozenset[int],
) -> Place:
    """The named location (a pickup point for pickup), else the nearest able one (``routing``)."""
    if code is not None:
        return _named(tx, mode, code)
    wanted = {line.product_id: line.quantity for line in priced}
    sites = _sites(tx, list(wanted))
    if mode == FulfilmentMode.PICKUP:
        sites = [site for site in sites if site.is_pickup_point]
    chosen = routing.choose_site(sites, wanted, destination, backorderable)
    if chosen is None:
        raise OrderRejected({"location": "no_location"})
    return Place(chosen.id, chosen.code)


def hold(
    tx: Tx,
    order_id: int,
    priced: list[pricing.PricedLine],
    location: Place,
    products: Mapping[str, Sellable] | None = None,
) -> dict[int, int]:
    """Reserve every line at the location, or raise ``OutOfStock`` naming the short lines.
    ``products``, read in this transaction, spares looking them up again. Returns product id →
    units backordered (products that allow it)."""
    lines = [Line(line.product_id, line.quantity) for line in priced]
    backorder = {p.id: p.allow_backorder for p in products.values()} if products is not None else None
    try:
        held = holds.reserve(tx, reference(order_id), lines, location.id, backorder)
    except InsufficientStock as exc:
        skus = {line.product_id: line.sku for line in priced}
        short = [ShortLine(skus[s.product_id], s.wanted, s.available) for s in exc.shortages]
        raise OutOfStock(short, location.code) from None
    return {item.product_id: item.backordered for item in held}


def write_lines(
    tx: Tx, order_id: int, priced: list[pricing.PricedLine], backordered: Mapping[int, int]
) -> None:
    """Write the order's lines (a new order, or one whose lines ``forget_lines`` removed)."""
    rows = [
        {
            "order_id": order_id,
            "position": position,
            "product_id": line.product_id,
            "sku": line.sku,
            "name": line.name,
            "quantity": line.quantity,
            "unit_price_minor": line.unit_price_minor,
            "tax_rate_centi": line.tax_rate_centi,
            "net_minor": line.net_minor,
            "tax_minor": line.tax_minor,
            "total_minor": line.total_minor,
            "backordered": backordered.get(line.product_id, 0),
        }
        for position, line in enumerate(priced)
    ]
    values, params = values_rows(_LINE_COLUMNS, rows)
    tx.execute(f"INSERT INTO order_lines ({', '.join(_LINE_COLUMNS)}) {values}", params)


def forget_lines(tx: Tx, order_id: int) -> None:
    tx.execute(_FORGET_LINES, {"order_id": order_id})
