"""Who a customer is and where they live, as an order gives them: the customer's own shapes, which
an order draft carries and placement matches or records (``service``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CustomerDetails:
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    latitude: float | None = None
    longitude: float | None = None

    def text(self) -> str:
        return f"{self.line1}, {self.postal_code} {self.city}, {self.country}"
