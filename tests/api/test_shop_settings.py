from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from backend.auth.rules import Role
from backend.kernel.events import Event
from backend.shop.models import ShopProfile
from tests.api.conftest import Harness, post_form

VALID = {"name": "Chez Olive", "currency": "EUR", "timezone": "Europe/Paris", "default_locale": "fr"}


async def test_the_owner_saves_the_shop_profile(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        response = await post_form(owner, "/settings", {**VALID, "version": "0"})
        assert response.status_code == 303
        page = await owner.get("/settings", headers={"accept-language": "fr"})
    assert "Chez Olive" in page.text
    assert "1\u202f234,50\u00a0€" in page.text  # French grouping and decimal comma


async def test_invalid_settings_are_shown_with_messages_and_not_saved(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        bad = {**VALID, "currency": "XYZ", "timezone": "Mars/Olympus", "name": ""}
        response = await post_form(owner, "/settings", {**bad, "version": "0"})
    assert response.status_code == 400
    assert "Choose a currency from the list" in response.text
    assert "Choose a time zone from the list" in response.text
    async with harness.db.read() as session:
        assert await session.scalar(select(ShopProfile)) is None


async def test_the_shop_currency_is_one_in_use_today(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        page = await owner.get("/settings")
        response = await post_form(owner, "/settings", {**VALID, "currency": "FRF", "version": "0"})
    assert 'value="EUR" selected>EUR — Euro<' in page.text
    assert 'value="FRF"' not in page.text
    assert response.status_code == 400
    assert "This currency is no longer in use" in response.text


async def test_a_stale_settings_form_is_refused(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        await post_form(owner, "/settings", {**VALID, "version": "0"})
        stale = await post_form(owner, "/settings", {**VALID, "name": "Other", "version": "0"})
    assert stale.status_code == 409
    async with harness.db.read() as session:
        assert (await session.scalar(select(ShopProfile))).name == "Chez Olive"


async def test_times_are_shown_in_the_shops_time_zone(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        await post_form(owner, "/settings", {**VALID, "timezone": "Pacific/Kiritimati", "version": "0"})
        await harness.app.state.tailer.publish_new()  # the tailer refreshes every process's copy
        assert harness.app.state.shop.current.timezone == "Pacific/Kiritimati"
        page = await owner.get("/")
    async with harness.db.read() as session:
        event = await session.scalar(select(Event).where(Event.type == "shop.updated"))
    local = event.at.astimezone(ZoneInfo("Pacific/Kiritimati"))  # UTC+14: never the UTC clock time
    # The one format: a medium date and a short time, no seconds.
    shown = f">{local:%b} {local.day}, {local.year}, {local.hour % 12 or 12}:{local:%M}"
    assert shown in page.text
    assert f"{shown}:" not in page.text
