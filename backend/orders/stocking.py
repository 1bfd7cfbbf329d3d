"""What placing and editing share, inside their transaction: products looked up by SKU and priced
from the catalog, the serving location chosen, the stock held through the inventory service and
the lines written with their totals."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog.models import Product
from backend.catalog.rules import normalise_sku
from backend.inventory import service as stock
from backend.inventory.models import Location, StockLevel
from backend.inventory.rules import Line
from backend.orders import pricing, routing
from backend.orders.errors import OutOfStock, ShortLine
from backend.orders.models import Order, OrderLine
from backend.orders.rules import FulfilmentMode, OrderRejected, WantedLine


def reference(order_id: int) -> str:
    """The reservation reference of an order."""
    return f"order:{order_id}"


async def products_for(session: AsyncSession, lines: list[WantedLine]) -> dict[str, Product]:
    """SKU → product for sale; an unknown or archived SKU is named by its line."""
    skus = {normalise_sku(line.sku) for line in lines}
    rows = await session.scalars(select(Product).where(Product.sku.in_(skus), Product.active.is_(True)))
    found = {product.sku: product for product in rows}
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
    products: Mapping[str, Product],
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


async def _sites(session: AsyncSession, product_ids: list[int]) -> list[routing.Site]:
    locations = list(await session.scalars(select(Location).order_by(Location.id)))
    rows = await session.execute(
        select(StockLevel.location_id, StockLevel.product_id, StockLevel.on_hand - StockLevel.reserved).where(
            StockLevel.product_id.in_(product_ids)
        )
    )
    free: dict[int, dict[int, int]] = {}
    for location_id, product_id, available in rows:
        free.setdefault(location_id, {})[product_id] = int(available)
    return [
        routing.Site(
            loc.id,
            loc.code,
            loc.is_default,
            loc.is_pickup_point,
            loc.latitude,
            loc.longitude,
            free.get(loc.id, {}),
        )
        for loc in locations
    ]


async def choose_location(
    session: AsyncSession,
    mode: str,
    code: str | None,
    *,
    priced: list[pricing.PricedLine],
    destination: tuple[float, float] | None,
    backorderable: frozenset[int],
) -> Location:
    """The named location (a pickup point for pickup), else the nearest able one (``routing``)."""
    if code is not None:
        location = await session.scalar(select(Location).where(Location.code == code.strip()))
        if location is None:
            raise OrderRejected({"location": "location_unknown"})
        if mode == FulfilmentMode.PICKUP and not location.is_pickup_point:
            raise OrderRejected({"location": "not_a_pickup_point"})
        return location
    wanted = {line.product_id: line.quantity for line in priced}
    sites = await _sites(session, list(wanted))
    if mode == FulfilmentMode.PICKUP:
        sites = [site for site in sites if site.is_pickup_point]
    chosen = routing.choose_site(sites, wanted, destination, backorderable)
    if chosen is None:
        raise OrderRejected({"location": "no_location"})
    return await session.get_one(Location, chosen.id)


async def hold(
    session: AsyncSession, order_id: int, priced: list[pricing.PricedLine], location: Location
) -> dict[int, int]:
    """Reserve every line at the location, or raise ``OutOfStock`` naming the short lines.
    Returns product id → units backordered (products that allow it)."""
    lines = [Line(line.product_id, line.quantity) for line in priced]
    try:
        held = await stock.reserve(session, reference(order_id), lines, location.id)
    except stock.InsufficientStock as exc:
        skus = {line.product_id: line.sku for line in priced}
        short = [ShortLine(skus[s.product_id], s.wanted, s.available) for s in exc.shortages]
        raise OutOfStock(short, location.code) from None
    return {item.product_id: item.backordered for item in held}


async def write_lines(
    session: AsyncSession, order: Order, priced: list[pricing.PricedLine], backordered: Mapping[int, int]
) -> None:
    """Replace the order's lines and set its totals from them."""
    await session.execute(delete(OrderLine).where(OrderLine.order_id == order.id))
    for position, line in enumerate(priced):
        session.add(
            OrderLine(
                order_id=order.id,
                position=position,
                product_id=line.product_id,
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                tax_rate_centi=line.tax_rate_centi,
                net_minor=line.net_minor,
                tax_minor=line.tax_minor,
                total_minor=line.total_minor,
                backordered=backordered.get(line.product_id, 0),
            )
        )
    totals = pricing.totals(priced)
    order.net_minor, order.tax_minor, order.total_minor = (
        totals.net_minor,
        totals.tax_minor,
        totals.total_minor,
    )
