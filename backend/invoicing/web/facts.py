"""What invoicing adds to an order read through the orders API (its ``order_facts`` extension
point): paid so far, net of refunds, and the balance still owed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.invoicing.payments import order_balance


async def balance_facts(session: AsyncSession, order_id: int) -> Mapping[str, Any]:
    balance = await order_balance(session, order_id)
    if balance is None:
        return {}
    return {"paid_minor": balance.paid_minor, "balance_minor": balance.balance_minor}


ORDER_FACTS = (balance_facts,)
