"""What the stock core refuses, and why: the codes match ``rules.MESSAGES``."""

from __future__ import annotations

from dataclasses import dataclass


class StockError(Exception):
    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Shortage:
    product_id: int
    wanted: int
    available: int


class InsufficientStock(StockError):
    def __init__(self, shortages: list[Shortage]) -> None:
        super().__init__("insufficient_stock")
        self.shortages = shortages
