"""Locations: exactly one default at all times, coordinates checked, edits version-checked."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from backend.auth.rules import Role
from backend.inventory import locations
from backend.inventory.models import Location
from backend.inventory.rules import LocationInput
from tests.api.conftest import Harness, post_form
from tests.api.stock_helpers import event_types


def _form(**fields: str) -> dict[str, str]:
    return {
        "code": "WH1",
        "name": "Main warehouse",
        "kind": "warehouse",
        "address": "1 rue du Port",
        **fields,
    }


async def _all(harness: Harness) -> dict[str, Location]:
    async with harness.db.read() as session:
        return {place.code: place for place in await session.scalars(select(Location))}


async def test_the_first_location_becomes_the_default_and_a_new_default_replaces_it(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        first = await post_form(client, "/locations/new", _form())
        second = await post_form(
            client,
            "/locations/new",
            _form(
                code="SHOP-1",
                name="Shop",
                kind="shop",
                latitude="48,8566",
                longitude="2.3522",
                is_default="on",
            ),
        )
        listing = await client.get("/locations")
    assert first.status_code == second.status_code == 303
    places = await _all(harness)
    assert places["WH1"].is_default is False
    assert places["SHOP-1"].is_default is True
    assert (places["SHOP-1"].latitude, places["SHOP-1"].longitude) == (48.8566, 2.3522)
    assert listing.text.count("data-default") == 1
    assert listing.text.index("SHOP-1") < listing.text.index("WH1")  # the default first
    assert (await event_types(harness.db)).count("location.created") == 2


async def test_an_edit_at_an_old_version_is_a_409_and_changes_nothing(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        await post_form(client, "/locations/new", _form())
        place = (await _all(harness))["WH1"]
        page = await client.get(f"/locations/{place.id}")
        saved = await post_form(
            client, f"/locations/{place.id}", _form(name="Big warehouse", version="1", is_default="on")
        )
        stale = await post_form(
            client, f"/locations/{place.id}", _form(name="Old name", version="1", is_default="on")
        )
    assert page.status_code == 200
    assert 'name="version" value="1"' in page.text
    assert saved.status_code == 303
    assert stale.status_code == 409
    assert "Someone changed this in the meantime" in stale.text
    assert 'value="Big warehouse"' in stale.text  # the page now shows what is saved
    place = (await _all(harness))["WH1"]
    assert (place.name, place.version) == ("Big warehouse", 2)
    assert "location.updated" in await event_types(harness.db)


async def test_the_default_location_cannot_simply_stop_being_the_default(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        await post_form(client, "/locations/new", _form())
        place = (await _all(harness))["WH1"]
        response = await post_form(client, f"/locations/{place.id}", _form(version="1"))
    assert response.status_code == 400
    assert "One location must stay the default" in response.text
    assert (await _all(harness))["WH1"].is_default is True


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"latitude": "91", "longitude": "2"}, "A latitude lies between -90 and 90."),
        ({"latitude": "45", "longitude": "-180.5"}, "A longitude lies between -180 and 180."),
        ({"latitude": "north", "longitude": "2"}, "Enter a number, e.g. 48.8566."),
        ({"latitude": "nan", "longitude": "2"}, "Enter a number, e.g. 48.8566."),
        ({"latitude": "45"}, "Enter both latitude and longitude, or neither."),
        ({"code": "has space"}, "Use up to 32 letters, digits, dots, dashes or underscores."),
        ({"code": ""}, "Use up to 32 letters, digits, dots, dashes or underscores."),
        ({"name": ""}, "Enter a name."),
        ({"kind": "garage"}, "Choose warehouse or shop."),
    ],
)
async def test_a_wrong_location_form_comes_back_with_its_message(
    harness: Harness, fields: dict[str, str], message: str
) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        response = await post_form(client, "/locations/new", _form(**fields))
    assert response.status_code == 400
    assert message in response.text
    assert await _all(harness) == {}


async def test_a_code_already_used_is_a_conflict(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        await post_form(client, "/locations/new", _form())
        again = await post_form(client, "/locations/new", _form(name="Another"))
    assert again.status_code == 409
    assert "Another location already uses this code." in again.text
    assert len(await _all(harness)) == 1


async def test_two_people_making_two_locations_the_default_at_once_leave_exactly_one(
    harness: Harness,
) -> None:
    ids = [
        await locations.create_location(harness.db, None, LocationInput(code, code, "warehouse"))
        for code in ("A", "B", "C")
    ]
    wanted = [LocationInput(code, code, "warehouse", is_default=True) for code in ("B", "C")]
    for _ in range(5):
        versions = {place.id: place.version for place in (await _all(harness)).values()}
        await asyncio.gather(
            *(
                locations.update_location(harness.db, None, place_id, place, versions[place_id])
                for place_id, place in zip(ids[1:], wanted, strict=True)
            ),
            return_exceptions=True,
        )
        assert sum(place.is_default for place in (await _all(harness)).values()) == 1


async def test_staff_may_see_locations_and_drivers_or_customers_may_not(harness: Harness) -> None:
    for role, status in ((Role.DRIVER, 403), (Role.CUSTOMER, 403)):
        async with harness.signed_in(role) as client:
            listing = await client.get("/locations")
            created = await post_form(client, "/locations/new", _form())
        assert listing.status_code == created.status_code == status
    async with harness.client() as client:
        assert (await client.get("/locations")).status_code == 401
    assert await _all(harness) == {}
