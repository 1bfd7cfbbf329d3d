"""Demo data: a small Paris épicerie that delivers, with its team, catalog, stock, a reorder and
about 200 orders of the last 90 days (``demo_orders``).

Everything goes through the same services as the app (validation, events, the stock ledger), so
the demo shows what real use looks like. Running it again creates nothing new: people, places,
suppliers and products are looked up by their natural keys, and each stock story by its reference.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.auth.models import User
from backend.auth.rules import Role
from backend.auth.service import create_user, get_user_by_email
from backend.catalog.models import Product
from backend.catalog.rules import ProductInput
from backend.catalog.service import create_product
from backend.demo.deliveries import ensure_runs
from backend.demo.invoices import ensure_invoices
from backend.demo.orders import ORDER_COUNT, ensure_orders, ensure_own_orders, ensure_ratings
from backend.demo.returns import ensure_returns
from backend.inventory import service as stock
from backend.inventory.commands import set_bin
from backend.inventory.events import StockAdjusted
from backend.inventory.locations import create_location
from backend.inventory.models import Location, StockLevel, StockMovement
from backend.inventory.rules import LocationInput, MovementKind
from backend.kernel.db import Database
from backend.kernel.events import record
from backend.kernel.settings import Settings
from backend.kernel.tx import Tx
from backend.purchasing.models import Supplier
from backend.purchasing.reorder import draft_reorder
from backend.purchasing.rules import SupplierInput
from backend.purchasing.suppliers import create_supplier
from backend.shop import rules as shop_rules
from backend.shop.service import get_profile, update_profile

DEMO_PASSWORD = "comptoir-demo"  # noqa: S105 - published in the README for the demo accounts
DEMO_ACCOUNTS = (
    ("owner@demo.test", "Camille Martin", Role.OWNER, None),
    ("staff@demo.test", "Sam Leroy", Role.STAFF, None),
    ("driver@demo.test", "Alex Moreau", Role.DRIVER, None),
    ("driver2@demo.test", "Nadia Benali", Role.DRIVER, None),
    ("customer@demo.test", "Jeanne Petit", Role.CUSTOMER, None),
)

WAREHOUSE, SHOP = "ENT", "BTQ"
LOCATIONS = (
    LocationInput(
        WAREHOUSE, "Entrepôt Montreuil", "warehouse", "48 rue Étienne Marcel, 93100 Montreuil",
        48.8590, 2.4405, is_pickup_point=False, is_default=True,
    ),
    LocationInput(
        SHOP, "Boutique Oberkampf", "shop", "103 rue Oberkampf, 75011 Paris",
        48.8657, 2.3779, is_pickup_point=True, is_default=False,
    ),
)  # fmt: skip

DELORME, VEXIN, FOURNIL = "Maison Delorme", "Ferme du Vexin", "Fournil de Belleville"
SUPPLIERS = (
    SupplierInput(DELORME, "commandes@maison-delorme.example", "+33 1 48 70 12 34", 3),
    SupplierInput(VEXIN, "ventes@ferme-du-vexin.example", "+33 1 34 67 20 11", 1),
    SupplierInput(FOURNIL, "fournil@belleville-pain.example", "+33 1 43 58 90 02", 1),
)

# VAT in hundredths of a percent: 5.5 % on food and soft drinks, 20 % on the rest. Wine is food
# to the shopper but not to the tax office: alcohol pays the standard rate in France.
FOOD, STANDARD = 550, 2000
SAL, SUC, FL, CRE = "Salé", "Sucré", "Fruits et légumes", "Crèmerie"
BOU, BOI, VIN, DRO = "Boulangerie", "Boissons", "Vins", "Droguerie"
CATEGORY_VAT = {SAL: FOOD, SUC: FOOD, FL: FOOD, CRE: FOOD, BOU: FOOD, BOI: FOOD, VIN: STANDARD, DRO: STANDARD}


class Item(NamedTuple):
    sku: str
    name: str
    category: str
    price_minor: int  # euro cents
    supplier: str | None
    warehouse: int  # opening stock at ENT
    shop: int  # opening stock at BTQ
    ean: str | None = None  # the barcode's first 12 digits; the check digit is computed


# fmt: off
PRODUCTS = (
    Item("SAL-PENNE-500", "Penne rigate bio 500 g", SAL, 265, DELORME, 120, 24, "376012340001"),
    Item("SAL-RIZ-CAMARGUE-1K", "Riz de Camargue IGP 1 kg", SAL, 459, DELORME, 60, 12),
    Item("SAL-LENTILLES-PUY-500", "Lentilles vertes du Puy AOP 500 g", SAL, 425, DELORME, 48, 10),
    Item("SAL-HUILE-OLIVE-75", "Huile d'olive vierge extra 75 cl", SAL, 1290, DELORME, 36, 8, "376012340018"),
    Item("SAL-MOUTARDE-210", "Moutarde de Dijon 210 g", SAL, 235, DELORME, 40, 12),
    Item("SAL-FLEUR-SEL-250", "Fleur de sel de Guérande 250 g", SAL, 690, DELORME, 24, 6),
    Item("SAL-SARDINES-115", "Sardines à l'huile d'olive 115 g", SAL, 395, DELORME, 48, 12),
    Item("SUC-CONFITURE-ABRICOT", "Confiture d'abricots 370 g", SUC, 525, DELORME, 14, 6),
    Item("SUC-MIEL-ACACIA-250", "Miel d'acacia 250 g", SUC, 890, DELORME, 20, 6),
    Item("SUC-CHOCOLAT-NOIR-100", "Chocolat noir 70 % 100 g", SUC, 349, DELORME, 60, 20),
    Item("SUC-GALETTES-130", "Galettes pur beurre 130 g", SUC, 315, DELORME, 36, 12),
    Item("SUC-SUCRE-CANNE-1K", "Sucre de canne blond 1 kg", SUC, 329, DELORME, 30, 6),
    Item("SUC-CALISSONS-NOEL", "Calissons d'Aix, coffret de Noël 200 g", SUC, 1490, DELORME, 0, 0),
    Item("FL-POMMES-TERRE-2K", "Pommes de terre Charlotte 2 kg", FL, 449, VEXIN, 25, 8),
    Item("FL-CAROTTES-1K", "Carottes des sables 1 kg", FL, 289, VEXIN, 30, 10),
    Item("FL-POMMES-GOLDEN-1K", "Pommes Golden 1 kg", FL, 349, VEXIN, 30, 10),
    Item("FL-OIGNONS-1K", "Oignons jaunes 1 kg", FL, 229, VEXIN, 20, 6),
    Item("FL-CITRONS-500", "Citrons jaunes bio 500 g", FL, 349, VEXIN, 15, 6),
    Item("FL-PANIER-SAISON", "Panier de légumes de saison 4 kg", FL, 2200, VEXIN, 4, 2),
    Item("CRE-OEUFS-6", "Œufs plein air x6", CRE, 329, VEXIN, 18, 12),
    Item("CRE-LAIT-ENTIER-1L", "Lait entier microfiltré 1 L", CRE, 169, VEXIN, 60, 12, "376012340025"),
    Item("CRE-BEURRE-DOUX-250", "Beurre doux de baratte 250 g", CRE, 429, VEXIN, 30, 10),
    Item("CRE-YAOURTS-4", "Yaourts nature au lait entier x4", CRE, 279, VEXIN, 24, 8),
    Item("CRE-COMTE-18M-200", "Comté 18 mois 200 g", CRE, 649, VEXIN, 16, 6),
    Item("CRE-CAMEMBERT-250", "Camembert de Normandie AOP 250 g", CRE, 449, VEXIN, 16, 6),
    Item("BOU-PAIN-CAMPAGNE", "Pain de campagne 800 g", BOU, 520, FOURNIL, 0, 6),
    Item("BOU-BAGUETTE-TRADI", "Baguette de tradition", BOU, 130, FOURNIL, 0, 40),
    Item("BOU-CROISSANTS-4", "Croissants pur beurre x4", BOU, 560, FOURNIL, 0, 12),
    Item("BOU-BRIOCHE-400", "Brioche tressée 400 g", BOU, 650, FOURNIL, 0, 6),
    Item("BOI-EAU-GAZEUSE-1L", "Eau minérale gazeuse 1 L", BOI, 119, DELORME, 144, 24, "376012340032"),
    Item("BOI-JUS-POMME-1L", "Jus de pomme artisanal 1 L", BOI, 395, VEXIN, 36, 12),
    Item("BOI-CAFE-MOULU-250", "Café moulu pur arabica 250 g", BOI, 690, DELORME, 30, 8),
    Item("BOI-THE-SENCHA-100", "Thé vert sencha 100 g", BOI, 750, DELORME, 12, 6),
    Item("VIN-COTES-RHONE-75", "Côtes-du-Rhône rouge 75 cl", VIN, 895, DELORME, 36, 12, "376012340049"),
    Item("VIN-MUSCADET-75", "Muscadet Sèvre et Maine 75 cl", VIN, 990, DELORME, 24, 6),
    Item("VIN-CREMANT-LOIRE-75", "Crémant de Loire brut 75 cl", VIN, 1450, DELORME, 18, 6),
    Item("DRO-SAVON-MARSEILLE", "Savon de Marseille 300 g", DRO, 490, DELORME, 24, 8, "376012340056"),
    Item("DRO-LIQUIDE-VAISSELLE", "Liquide vaisselle écologique 500 ml", DRO, 395, DELORME, 20, 6),
    Item("DRO-SAC-CABAS", "Sac cabas en coton", DRO, 590, None, 0, 30),
    Item("DRO-BOUGIE-FIGUIER", "Bougie parfumée figuier", DRO, 1890, None, 6, 4),
)
# fmt: on

# Baked or picked to order: customers may order them before there is stock.
BACKORDER = frozenset({"BOU-PAIN-CAMPAGNE", "FL-PANIER-SAISON"})
ARCHIVED = frozenset({"SUC-CALISSONS-NOEL"})  # sold at Christmas only

# Reorder point and quantity at the warehouse. The eggs open below their point, so the opening
# receipt already drafts an order; the apricot jam falls below it when jars break (BREAKAGE).
REORDERS = (
    ("SAL-PENNE-500", 40, 60),
    ("SAL-HUILE-OLIVE-75", 12, 24),
    ("SUC-CONFITURE-ABRICOT", 10, 24),
    ("FL-POMMES-TERRE-2K", 10, 20),
    ("CRE-OEUFS-6", 30, 60),
    ("CRE-LAIT-ENTIER-1L", 24, 48),
    ("BOI-EAU-GAZEUSE-1L", 48, 96),
)
BREAKAGE = ("SUC-CONFITURE-ABRICOT", -6, "casse")

# Movement references mark what the demo did, so a second run can tell it is already done.
OPENING_REFERENCE, BREAKAGE_REFERENCE = "demo:ouverture", "demo:casse"


def ean13(body: str) -> str:
    """The 12 digits followed by their GS1 check digit (weights 3 and 1 from the right)."""
    weighted = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(body)))
    return body + str((10 - weighted % 10) % 10)


async def _ensure_accounts(db: Database) -> int:
    created = 0
    for email, name, role, locale in DEMO_ACCOUNTS:
        async with db.read() as session:
            exists = await get_user_by_email(session, email)
        if not exists:
            await create_user(db, email, name, role, DEMO_PASSWORD, locale=locale)
            created += 1
    return created


async def _ensure_shop(db: Database) -> int:
    async with db.read() as session:
        profile = await get_profile(session)
    if profile.version > 0:
        return 0
    wanted = shop_rules.ProfileInput("Épicerie Demo", "EUR", "Europe/Paris", "fr")
    await update_profile(db, None, wanted, expected_version=0)
    return 1


async def _ids(db: Database, key: object, id_column: object) -> dict[str, int]:
    """Natural key → id of the rows that exist, e.g. location code → location id."""
    async with db.read() as session:
        return dict((await session.execute(select(key, id_column))).all())


async def _ensure_locations(db: Database, actor_id: int) -> int:
    existing = await _ids(db, Location.code, Location.id)
    missing = [wanted for wanted in LOCATIONS if wanted.code not in existing]
    for wanted in missing:
        await create_location(db, actor_id, wanted)
    return len(missing)


async def _ensure_suppliers(db: Database, actor_id: int) -> int:
    existing = await _ids(db, Supplier.name, Supplier.id)
    missing = [wanted for wanted in SUPPLIERS if wanted.name not in existing]
    for wanted in missing:
        await create_supplier(db, actor_id, wanted)
    return len(missing)


def _product_input(item: Item) -> ProductInput:
    return ProductInput(
        sku=item.sku,
        name=item.name,
        price_minor=item.price_minor,
        currency="EUR",
        tax_rate_centi=CATEGORY_VAT[item.category],
        category=item.category,
        barcode=ean13(item.ean) if item.ean else None,
        active=item.sku not in ARCHIVED,
        allow_backorder=item.sku in BACKORDER,
    )


async def _ensure_products(db: Database, actor_id: int) -> int:
    existing = await _ids(db, Product.sku, Product.id)
    missing = [item for item in PRODUCTS if item.sku not in existing]
    for item in missing:
        await create_product(db, actor_id, _product_input(item))
    await _link_suppliers(db)
    return len(missing)


async def _link_suppliers(db: Database) -> None:
    """Products have no supplier field in their form yet: set it where it is still empty."""
    suppliers = await _ids(db, Supplier.name, Supplier.id)
    skus = {
        supplier_id: [item.sku for item in PRODUCTS if item.supplier == name]
        for name, supplier_id in suppliers.items()
    }
    await db.run(_set_suppliers, skus)


def _set_suppliers(tx: Tx, skus: dict[int, list[str]]) -> None:
    """Supplier id → the SKUs it supplies: each product without a supplier gets its own."""
    for supplier_id, supplied in skus.items():
        tx.session.execute(
            update(Product)
            .where(Product.sku.in_(supplied), Product.supplier_id.is_(None))
            .values(supplier_id=supplier_id)
        )


def _done(session: Session, reference: str) -> bool:
    found = session.scalar(select(StockMovement.id).where(StockMovement.reference == reference).limit(1))
    return found is not None


def _opening_receipts(products: dict[str, int], locations: dict[str, int]) -> list[stock.Change]:
    receipts = [
        stock.Change(
            products[item.sku], locations[code], quantity, MovementKind.RECEIPT, "", OPENING_REFERENCE
        )
        for item in PRODUCTS
        for code, quantity in ((WAREHOUSE, item.warehouse), (SHOP, item.shop))
        if quantity > 0
    ]
    # In product order, as every stock transaction takes its rows: no deadlock on PostgreSQL.
    return sorted(receipts, key=lambda change: (change.product_id, change.location_id))


def _open_stock(
    tx: Tx, receipts: list[stock.Change], products: dict[str, int], locations: dict[str, int], actor_id: int
) -> int:
    """Receive the opening stock and set reorder levels, once; settle() then drafts the orders
    for whatever opened below its reorder point. Returns how many receipts it made."""
    if _done(tx.session, OPENING_REFERENCE):
        return 0
    for change in receipts:
        stock.change_on_hand(tx, change, actor_id)
    for sku, point, quantity in REORDERS:
        wanted, unset = stock.Reorder(point, quantity), stock.Reorder(0, 0)
        stock.set_reorder(tx, products[sku], locations[WAREHOUSE], wanted, unset)
    stock.settle(tx, actor_id, draft_reorder)
    return len(receipts)


async def _ensure_opening_stock(db: Database, actor_id: int) -> int:
    products = await _ids(db, Product.sku, Product.id)
    locations = await _ids(db, Location.code, Location.id)
    receipts = _opening_receipts(products, locations)
    return await db.run(_open_stock, receipts, products, locations, actor_id)


async def _ensure_breakage(db: Database, actor_id: int) -> int:
    """Jars broken while unloading: an adjustment with its reason, which drops the jam below its
    reorder point so that the reorder logic adds it to a draft purchase order."""
    sku, delta, reason = BREAKAGE
    product_id = (await _ids(db, Product.sku, Product.id))[sku]
    location_id = (await _ids(db, Location.code, Location.id))[WAREHOUSE]
    change = stock.Change(product_id, location_id, delta, MovementKind.ADJUSTMENT, reason, BREAKAGE_REFERENCE)
    return await db.run(_break_jars, change, actor_id)


def _break_jars(tx: Tx, change: stock.Change, actor_id: int) -> int:
    if _done(tx.session, BREAKAGE_REFERENCE):
        return 0
    sku, delta, reason = BREAKAGE
    stock.change_on_hand(tx, change, actor_id)
    # The same event the stock screen's adjustment records, so the feed tells the story.
    adjusted = StockAdjusted(sku=sku, location=WAREHOUSE, delta=delta, reason=reason)
    record(tx, adjusted, f"stock:{change.product_id}", actor_id)
    stock.settle(tx, actor_id, draft_reorder)
    return 1


async def _ensure_bins(db: Database, actor_id: int) -> int:
    """A shelf position for each product at each location, by aisle (one per SKU prefix, i.e. per
    category) and shelf: the pick lists walk them in that order."""
    return await db.run(_place_on_shelves, actor_id)


def _place_on_shelves(tx: Tx, actor_id: int) -> int:
    session = tx.session
    if session.scalar(select(StockLevel.bin).where(StockLevel.bin.is_not(None)).limit(1)) is not None:
        return 0  # placed on a run before: what came since stays where the team puts it
    levels = session.execute(
        select(StockLevel.product_id, StockLevel.location_id, Product.sku)
        .join(Product, Product.id == StockLevel.product_id)
        .where(StockLevel.bin.is_(None))
        .order_by(StockLevel.location_id, Product.sku)
    ).all()
    aisles: dict[tuple[int, str], int] = {}
    shelves: dict[tuple[int, str], int] = {}
    for product_id, location_id, sku in levels:
        prefix = sku.split("-", 1)[0]
        aisle = aisles.setdefault((location_id, prefix), len([k for k in aisles if k[0] == location_id]))
        shelf = shelves[(location_id, prefix)] = shelves.get((location_id, prefix), 0) + 1
        set_bin(tx, actor_id, product_id, location_id, f"{chr(ord('A') + aisle % 26)}-{shelf:02d}")
    return len(levels)


async def has_accounts(settings: Settings) -> bool:
    db = Database(settings.database_url)
    try:
        async with db.read() as session:
            return await session.scalar(select(User.id).limit(1)) is not None
    finally:
        await db.dispose()


async def load_demo(settings: Settings, orders: int = ORDER_COUNT) -> int:
    """Create what is missing; returns how many records were created (0 on a second run)."""
    db = Database(settings.database_url)
    try:
        created = await _ensure_shop(db) + await _ensure_accounts(db)
        owner_id = (await _ids(db, User.email, User.id))[DEMO_ACCOUNTS[0][0]]
        for step in (
            _ensure_locations,
            _ensure_suppliers,
            _ensure_products,
            _ensure_opening_stock,
            _ensure_breakage,
            _ensure_bins,
        ):
            created += await step(db, owner_id)
        created += await ensure_orders(db, owner_id, orders, settings.secret_key)
        customer_id = (await _ids(db, User.email, User.id))["customer@demo.test"]
        created += await ensure_own_orders(db, owner_id, customer_id, settings.secret_key)
        created += await ensure_runs(db, owner_id)
        created += await ensure_invoices(db, owner_id)
        created += await ensure_returns(db, owner_id)
        # Last: the runs deliver orders, and a second load must find the same finished orders.
        return created + await ensure_ratings(db)
    finally:
        await db.dispose()
