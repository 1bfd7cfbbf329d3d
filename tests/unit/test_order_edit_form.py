"""The order page's edit form read into the edit it asks for, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from multidict import MultiDict

from backend.inventory.models import Location
from backend.orders.drafts import Address, OrderRejected, WantedLine
from backend.orders.views import LineView, OrderDetail, OrderSummary
from backend.orders.web import edit_form

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def detail(mode: str = "delivery") -> OrderDetail:
    summary = OrderSummary(
        id=1, number="ORD-1", status="placed", channel="api", fulfilment_mode=mode, priority="normal",
        payment_method="card", customer_id=1, customer_name="Ada", email=None, phone=None,
        location_id=1, location_code="ENT", net_minor=474, tax_minor=26, total_minor=500,
        currency="EUR", risk_reasons=(), external_ref=None, version=4, placed_at=NOW, updated_at=NOW,
    )  # fmt: skip
    line = LineView(1, "APPLE", "Apple", 2, 250, 550, 474, 26, 500, 0)
    address = {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR",
               "latitude": 48.86, "longitude": 2.34}  # fmt: skip
    return OrderDetail(summary, address if mode != "pickup" else None, "", [line], [])


def posted(**fields: object) -> MultiDict[str]:
    values = {"version": "4", "line1": "1 rue de Rivoli", "postal_code": "75001", "city": "Paris",
              "country": "FR", "location": "ENT", "sku": ["APPLE"], "quantity": ["2"]}  # fmt: skip
    values |= fields
    form: MultiDict[str] = MultiDict()
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            form.add(name, str(item))
    return form


def test_the_form_starts_as_the_order_stands() -> None:
    entry = edit_form.start(detail())
    assert entry.lines == [("APPLE", 2)]
    assert (entry.get("version"), entry.get("location"), entry.get("city")) == ("4", "ENT", "Paris")


def test_a_quantity_of_zero_removes_the_line() -> None:
    entry = edit_form.read(posted(sku=["APPLE", "PEAR"], quantity=["0", "3"]))
    assert edit_form.edit_of(entry, detail()).lines == [WantedLine("PEAR", 3)]


def test_the_address_and_location_as_they_were_are_not_sent_again() -> None:
    """Sent again, the address would lose the coordinates the order got with it."""
    edit = edit_form.edit_of(edit_form.read(posted(country="fr")), detail())
    assert (edit.address, edit.location) == (None, None)


def test_a_new_address_and_location_are_sent() -> None:
    entry = edit_form.read(posted(line1="8 rue Oberkampf", postal_code="75011", location="BTQ"))
    edit = edit_form.edit_of(entry, detail())
    assert edit.address == Address("8 rue Oberkampf", "Paris", "75011", "FR")
    assert edit.location == "BTQ"


def test_a_pickup_order_has_no_address_to_change() -> None:
    assert edit_form.edit_of(edit_form.read(posted(line1="Elsewhere")), detail("pickup")).address is None


@pytest.mark.parametrize("quantity", ["two", "-1", "1.5", ""])
def test_a_quantity_that_is_not_a_whole_number_is_refused(quantity: str) -> None:
    with pytest.raises(OrderRejected) as refused:
        edit_form.edit_of(edit_form.read(posted(quantity=[quantity])), detail())
    assert refused.value.problems == {"lines": "quantity_not_whole"}


def test_a_version_that_is_not_a_number_is_none() -> None:
    assert edit_form.version_of(edit_form.read(posted(version="x"))) is None
    assert edit_form.version_of(edit_form.read(posted())) == 4


def test_a_pickup_order_may_move_only_to_a_pickup_point() -> None:
    places = [Location(code="ENT", is_pickup_point=False), Location(code="BTQ", is_pickup_point=True)]
    assert [place.code for place in edit_form.location_choices(places, "pickup")] == ["BTQ"]
    assert [place.code for place in edit_form.location_choices(places, "delivery")] == ["ENT", "BTQ"]
