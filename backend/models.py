"""Every table, imported in one place so that metadata and migrations see them all."""

from backend.auth.models import ApiToken, PermissionOverride, SignInThrottle, User, WebSession
from backend.catalog.models import Category, Product
from backend.customers.models import Customer, CustomerAddress
from backend.delivery.models import (
    AddressPin,
    DeliveryRun,
    DeliverySettings,
    RunPosition,
    RunStop,
    StopOrder,
)
from backend.documents.models import DocumentLink, DocumentOpen
from backend.fulfilment.models import Carrier, Fulfilment, PickBatch, PickedLine
from backend.idempotency.models import IdempotencyKey
from backend.inventory.models import Location, Reservation, StockLevel, StockMovement
from backend.invoicing.models import Invoice, InvoiceLine, Payment
from backend.kernel.db import Base
from backend.kernel.dead_letters import DeadLetter
from backend.kernel.events import Event, EventCursor
from backend.kernel.numbering import Counter
from backend.orders.models import Order, OrderLine
from backend.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from backend.push.models import PushAlert, PushDelivery, PushLease, PushSubscription
from backend.returns.models import Return, ReturnLine, ReturnSettings
from backend.shop.models import ShopBilling, ShopProfile

__all__ = [
    "AddressPin",
    "ApiToken",
    "Base",
    "Carrier",
    "Category",
    "Counter",
    "Customer",
    "CustomerAddress",
    "DeadLetter",
    "DeliveryRun",
    "DeliverySettings",
    "DocumentLink",
    "DocumentOpen",
    "Event",
    "EventCursor",
    "Fulfilment",
    "IdempotencyKey",
    "Invoice",
    "InvoiceLine",
    "Location",
    "Order",
    "OrderLine",
    "Payment",
    "PermissionOverride",
    "PickBatch",
    "PickedLine",
    "Product",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PushAlert",
    "PushDelivery",
    "PushLease",
    "PushSubscription",
    "Reservation",
    "Return",
    "ReturnLine",
    "ReturnSettings",
    "RunPosition",
    "RunStop",
    "ShopBilling",
    "ShopProfile",
    "SignInThrottle",
    "StockLevel",
    "StockMovement",
    "StopOrder",
    "Supplier",
    "User",
    "WebSession",
]
