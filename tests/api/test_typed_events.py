"""Typed events: every event type a domain records reads back as its Struct, the stored JSON keeps
the shape it always had, and a malformed event is refused before anything is written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
from sqlalchemy import func, select

import backend.app  # noqa: F401 - every domain, so every event type is known
from backend.inventory.events import StockChanged
from backend.kernel.db import Database
from backend.kernel.events import DomainEvent, Event, known_types, record, type_of
from backend.kernel.tx import Tx
from backend.orders.events import OrderAccepted, OrderOnHold, OrderPlaced
from backend.orders.rules import QueueMove


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


def _value(kind: mi.Type) -> Any:
    """A value of the type, with every optional part filled in so that it is written too."""
    match kind:
        case mi.StrType():
            return "text"
        case mi.BoolType():
            return True
        case mi.IntType():
            return 7
        case mi.FloatType():
            return 48.85
        case mi.AnyType():
            return ["before", 2]
        case mi.UnionType(types=types):
            return _value(next(t for t in types if not isinstance(t, mi.NoneType)))
        case mi.ListType(item_type=item):
            return [_value(item)]
        case mi.VarTupleType(item_type=item):
            return (_value(item),)
        case mi.DictType(key_type=key, value_type=value):
            return {_value(key): _value(value)}
        case mi.StructType(cls=cls, fields=fields):
            return cls(**{field.name: _value(field.type) for field in fields})
    raise AssertionError(f"no sample for {kind}")


def _as_json(event: DomainEvent) -> dict[str, Any]:
    return msgspec.json.decode(msgspec.json.encode(event))


def _record(tx: Tx, event: DomainEvent) -> int:
    return record(tx, event, "test:1")


async def _stored(db: Database, event_id: int) -> Event:
    async with db.read() as session:
        return await session.get_one(Event, event_id)


async def test_every_registered_event_type_round_trips_through_the_log(db: Database) -> None:
    structs = known_types()
    assert len(structs) > 40  # every domain's events are gathered
    for type_, struct in structs.items():
        event = _value(mi.type_info(struct))
        stored = await _stored(db, await db.run(_record, event))
        assert stored.type == type_ == type_of(event)
        assert "type" not in stored.data  # the type is stored once, in its column
        assert stored.data == {k: v for k, v in _as_json(event).items() if k != "type"}
        assert stored.payload == event, type_


async def test_a_malformed_event_is_refused_and_nothing_is_written(db: Database) -> None:
    async with db.read() as session:
        before = await session.scalar(select(func.count(Event.id)))
    wrong_type = OrderAccepted(number=12, previous="placed", reason="")  # type: ignore[arg-type]
    with pytest.raises(msgspec.ValidationError, match="Expected `str`, got `int`"):
        await db.run(_record, wrong_type)
    nested = StockChanged(levels=({"product_id": 1},), available={})  # type: ignore[arg-type]
    with pytest.raises(msgspec.ValidationError):
        await db.run(_record, nested)
    with pytest.raises(TypeError, match="previous"):
        OrderAccepted(number="ORD-1", reason="")  # type: ignore[call-arg]
    async with db.read() as session:
        assert await session.scalar(select(func.count(Event.id))) == before


# Events as they were stored before they had Structs, as the code wrote them then.
STORED_BEFORE = [
    (
        "order.placed",
        {"number": "A-1", "channel": "api", "total_minor": 950, "currency": "EUR", "location": "WH"},
    ),
    ("order.placed", {"number": "A-1", "previous": "on_hold", "reason": "", "account": 4}),
    ("order.on_hold", {"number": "A-1", "reasons": ["country_mismatch"]}),
    ("order.accepted", {"number": "A-1", "previous": "placed", "reason": "", "account": 4}),
    ("order.edited", {"number": "A-1", "changes": ["APPLE: 2 → 3"]}),
    ("user.created", {"role": "customer", "name": "Cleo"}),
    ("user.signed_out", {}),
    ("shop.updated", {"changes": {"name": ["Comptoir", "Chez Lou"]}}),
    (
        "stock.changed",
        {
            "levels": [{"product_id": 1, "location_id": 2, "on_hand": 5, "reserved": 1, "backordered": 0}],
            "available": {"1": 4},
        },
    ),
]


@pytest.mark.parametrize(("type_", "data"), STORED_BEFORE)
def test_events_stored_before_read_as_their_struct_and_keep_their_shape(
    type_: str, data: dict[str, Any]
) -> None:
    event = Event(type=type_, subject="order:1", data=data)
    assert isinstance(event.payload, known_types()[type_])
    again = {k: v for k, v in _as_json(event.payload).items() if k != "type"}
    if type_ == "stock.changed":  # read with the point older events did not carry: 0
        data = {**data, "levels": [{**data["levels"][0], "reorder_point": 0}]}
    assert again == data


def test_the_order_rules_say_what_each_change_does_to_the_queue() -> None:
    moved = {"number": "A-1", "reason": ""}
    assert OrderPlaced(number="A-1").queue_move == QueueMove.ENTERS
    assert OrderPlaced(number="A-1", previous="on_hold", reason="").queue_move == QueueMove.CHANGES
    assert OrderOnHold(number="A-1", reasons=("country_mismatch",)).queue_move == QueueMove.CHANGES
    assert OrderOnHold(number="A-1", previous="accepted", reason="x").queue_move == QueueMove.ENTERS
    assert OrderAccepted(**moved, previous="on_hold").queue_move == QueueMove.LEAVES
    assert OrderAccepted(**moved, previous="accepted").queue_move == QueueMove.NONE
