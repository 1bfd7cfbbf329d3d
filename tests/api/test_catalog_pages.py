"""The catalog as a phone uses it: forms, conflicts, photos."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.catalog.models import Product, ProductPhoto
from tests.api.conftest import Harness, csrf_token, post_form

FORM = {
    "sku": "tea-1",
    "name": "Green tea",
    "price": "4,90",
    "currency": "EUR",
    "tax_rate": "5.5",
    "active": "on",
}


async def _count(harness: Harness) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(Product))


def _png(width: int = 1600, height: int = 1200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (31, 95, 74)).save(out, "PNG")
    return out.getvalue()


async def test_a_product_created_through_the_form_shows_in_the_list(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        created = await post_form(client, "/catalog/new", FORM)
        assert created.status_code == 303
        assert created.headers["location"].endswith("?saved=true")
        listing = await client.get("/catalog")
        search = await client.get("/catalog", params={"q": "green"}, headers={"hx-request": "true"})
    assert "Green tea" in listing.text
    assert "€4.90" in listing.text
    assert "<html" not in search.text  # htmx gets the rows alone
    assert 'id="product-1"' in search.text


async def test_bad_prices_are_shown_on_the_form_and_nothing_is_saved(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        for price, message in (
            ("4.905", "fewer decimals"),
            ("-1", "cannot be negative"),
            ("abc", "such as 12.50"),
        ):
            response = await post_form(client, "/catalog/new", {**FORM, "price": price})
            assert response.status_code == 400
            assert message in response.text
            assert 'value="' + price + '"' in response.text  # what was typed stays
    assert await _count(harness) == 0


async def test_the_form_offers_current_currencies_the_shop_s_first_named_in_the_viewer_s_language(
    harness: Harness,
) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        page = await client.get("/catalog/new", headers={"accept-language": "fr"})
        refused = await post_form(client, "/catalog/new", {**FORM, "currency": "FRF"})
    options = page.text.split('id="f-currency"')[1].split("</select>")[0].split("<option")[1:]
    assert 'value="EUR" selected>EUR — euro<' in options[0]
    assert 140 <= len(options) <= 170  # not the 300 codes ever named, withdrawn ones included
    assert 'value="USD" >USD — dollar des États-Unis<' in page.text
    assert 'value="FRF"' not in page.text
    assert refused.status_code == 400
    assert "This currency is no longer in use" in refused.text
    assert await _count(harness) == 0


async def test_a_duplicate_sku_is_refused_on_the_form(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        await post_form(client, "/catalog/new", FORM)
        again = await post_form(client, "/catalog/new", {**FORM, "sku": "TEA-1", "name": "Other"})
    assert again.status_code == 409
    assert "already has this SKU" in again.text
    assert await _count(harness) == 1


async def test_a_conflict_on_a_flag_reads_yes_or_no(harness: Harness) -> None:
    archived = {key: value for key, value in FORM.items() if key != "active"}
    async with harness.signed_in(Role.STAFF) as staff, harness.signed_in(Role.OWNER) as owner:
        await post_form(staff, "/catalog/new", FORM)
        await post_form(owner, "/catalog/1", {**archived, "version": "1"})
        stale = await post_form(staff, "/catalog/1", {**FORM, "price": "4.50", "version": "1"})
    assert stale.status_code == 409
    assert "<td data-theirs>No</td><td data-mine>Yes</td>" in stale.text


async def test_an_edit_from_a_stale_page_shows_both_values_to_choose_from(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as staff, harness.signed_in(Role.OWNER) as owner:
        await post_form(staff, "/catalog/new", FORM)
        await post_form(owner, "/catalog/1", {**FORM, "price": "5.20", "version": "1"})
        stale = await post_form(staff, "/catalog/1", {**FORM, "price": "4.50", "version": "1"})
        assert stale.status_code == 409
        assert "data-conflict" in stale.text
        assert "<td data-theirs>5.20</td><td data-mine>4.50</td>" in stale.text
        assert 'name="version" value="2"' in stale.text  # saving again now overrides knowingly
        mine = await post_form(staff, "/catalog/1", {**FORM, "price": "4.50", "version": "2"})
        assert mine.status_code == 303
    async with harness.db.read() as session:
        assert (await session.get(Product, 1)).price_minor == 450


async def test_archiving_hides_a_product_from_the_list(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        await post_form(client, "/catalog/new", FORM)
        archived = {key: value for key, value in FORM.items() if key != "active"}
        await post_form(client, "/catalog/1", {**archived, "version": "1"})
        assert "Green tea" not in (await client.get("/catalog")).text
        assert "Green tea" in (await client.get("/catalog", params={"archived": "true"})).text


async def test_a_photo_is_checked_resized_and_served(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        await post_form(client, "/catalog/new", FORM)
        token = await csrf_token(client)
        files = {"photo": ("shelf.png", _png(), "image/png")}
        uploaded = await client.post("/catalog/1/photo", files=files, data={"_csrf_token": token})
        assert uploaded.status_code == 303
        served = await client.get("/media/products/1")
        cached = await client.get("/media/products/1", headers={"if-none-match": served.headers["etag"]})
    assert served.headers["content-type"] == "image/webp"
    assert max(Image.open(io.BytesIO(served.content)).size) == 800
    assert cached.status_code == 304


async def test_files_that_are_not_pictures_or_too_big_are_refused(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        await post_form(client, "/catalog/new", FORM)
        token = await csrf_token(client)
        fake = {"photo": ("photo.jpg", b"MZ\x90\x00 definitely not a jpeg", "image/jpeg")}
        truncated = {"photo": ("half.png", _png()[:200], "image/png")}
        for files in (fake, truncated):
            response = await client.post("/catalog/1/photo", files=files, data={"_csrf_token": token})
            assert response.status_code == 400
            assert "not a JPEG, PNG, WebP or GIF" in response.text
        huge = {"photo": ("huge.png", b"\x89PNG" + b"0" * (9 * 1024 * 1024), "image/png")}
        too_big = await client.post("/catalog/1/photo", files=huge, data={"_csrf_token": token})
    assert too_big.status_code == 413
    async with harness.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(ProductPhoto)) == 0


async def test_people_without_catalog_rights_cannot_edit(harness: Harness) -> None:
    async with harness.signed_in(Role.DRIVER) as driver:
        assert (await driver.get("/catalog")).status_code == 403
        assert (await post_form(driver, "/catalog/new", FORM)).status_code == 403
    assert await _count(harness) == 0


async def test_the_photo_limits_stated_are_the_ones_applied(make_harness) -> None:
    harness = await make_harness(max_body_bytes=3 * 1024 * 1024)
    bilevel = io.BytesIO()
    Image.new("1", (6000, 6000)).save(bilevel, "PNG")  # 36 MP, a few kB
    async with harness.signed_in(Role.STAFF) as client:
        await post_form(client, "/catalog/new", FORM)
        token = await csrf_token(client)
        many_pixels = {"photo": ("big.png", bilevel.getvalue(), "image/png")}
        too_many = await client.post("/catalog/1/photo", files=many_pixels, data={"_csrf_token": token})
        heavy = {"photo": ("heavy.png", b"\x89PNG" + b"0" * (4 * 1024 * 1024), "image/png")}
        too_heavy = await client.post("/catalog/1/photo", files=heavy, data={"_csrf_token": token})
    assert too_many.status_code == 400
    assert "at most 3 MB and 24 megapixels" in too_many.text
    assert too_heavy.status_code == 413
    assert "At most 3 MB can be sent at once." in too_heavy.text
    async with harness.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(ProductPhoto)) == 0
