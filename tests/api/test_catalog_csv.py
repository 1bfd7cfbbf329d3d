"""CSV import (preview, row errors, all-or-nothing) and export."""

from __future__ import annotations

import csv
import io

import httpx
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.catalog.models import Product
from backend.kernel.events import Event
from tests.api.conftest import Harness, csrf_token, post_form

GOOD = (
    "sku,name,price,tax_rate,category,barcode,active\n"
    "BRD-1,Baguette,1.20,5.5,Bakery,,yes\n"
    "CRS-1,Croissant,1.35,5.5,Bakery,,yes\n"
    "MLK-1,Milk 1 L,1.09,5.5,Dairy,4006381333931,yes\n"
)


async def _count(harness: Harness) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(Product))


async def _upload(client: httpx.AsyncClient, content: bytes, name: str = "products.csv") -> httpx.Response:
    token = await csrf_token(client)
    return await client.post(
        "/catalog/import", files={"file": (name, content, "text/csv")}, data={"_csrf_token": token}
    )


async def _confirm(client: httpx.AsyncClient, preview: httpx.Response) -> httpx.Response:
    action = preview.text.split('action="/catalog/import/')[1].split('"')[0]
    return await post_form(client, f"/catalog/import/{action}", {})


async def test_a_good_file_is_previewed_then_imported_at_once(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        preview = await _upload(client, GOOD.encode())
        assert preview.status_code == 200
        assert "3 products ready to import" in preview.text
        assert await _count(harness) == 0  # a preview writes nothing
        done = await _confirm(client, preview)
        assert done.status_code == 303
        again = await _confirm(client, preview)  # a double tap applies nothing twice
    assert again.status_code == 410
    assert await _count(harness) == 3
    async with harness.db.read() as session:
        event = await session.scalar(select(Event).where(Event.type == "catalog.imported"))
    assert (event.data["created"], event.data["updated"]) == (3, 0)


async def test_existing_skus_are_updated_and_unchanged_rows_left_alone(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        await _confirm(client, await _upload(client, GOOD.encode()))
        changed = GOOD.replace("Baguette,1.20", "Baguette,1.25").replace("MLK-1", "MLK-2")
        await _confirm(client, await _upload(client, changed.encode()))
    async with harness.db.read() as session:
        baguette = await session.scalar(select(Product).where(Product.sku == "BRD-1"))
        croissant = await session.scalar(select(Product).where(Product.sku == "CRS-1"))
    assert (baguette.price_minor, baguette.version) == (125, 2)
    assert croissant.version == 1
    assert await _count(harness) == 4


async def test_row_errors_are_listed_by_line_and_nothing_is_imported(harness: Harness) -> None:
    bad = GOOD + "BAD 1,Broken,1.2.3,,,,\nBRD-1,Twice,1.00,,,,\nTAX-1,Taxed,1.00,250,,,maybe\n"
    async with harness.signed_in(Role.OWNER) as client:
        preview = await _upload(client, bad.encode())
    assert preview.status_code == 400
    assert "problems: nothing was imported" in preview.text
    for line in (5, 6, 7):
        assert f'data-line="{line}"' in preview.text
    assert "already on an earlier line" in preview.text
    assert 'action="/catalog/import/' not in preview.text
    assert await _count(harness) == 0


async def test_a_withdrawn_currency_is_a_row_error_like_on_the_form(harness: Harness) -> None:
    withdrawn = "sku,name,price,currency\nFRM-1,Fromage,12.50,FRF\nFRM-2,Brie,9.00,EUR\n"
    async with harness.signed_in(Role.OWNER) as client:
        preview = await _upload(client, withdrawn.encode())
    assert preview.status_code == 400
    assert 'data-line="2"' in preview.text
    assert 'data-line="3"' not in preview.text
    assert "no longer in use" in preview.text
    assert await _count(harness) == 0


async def test_semicolons_and_a_byte_order_mark_from_spreadsheets_are_understood(harness: Harness) -> None:
    french = "\ufeffsku;name;price\nFRM-1;Fromage;12,50\n"
    async with harness.signed_in(Role.OWNER) as client:
        preview = await _upload(client, french.encode())
        await _confirm(client, preview)
    async with harness.db.read() as session:
        assert (await session.scalar(select(Product.price_minor))) == 1250


async def test_unusable_files_get_a_clear_message(harness: Harness) -> None:
    cases = {
        "not UTF-8": "sku,name,price\nCAF-1,Café,2.00\n".encode("latin-1"),
        "these are missing: name, price": b"sku,title\nA,B\n",
        "has no products": b"sku,name,price\n",
    }
    async with harness.signed_in(Role.OWNER) as client:
        for message, content in cases.items():
            response = await _upload(client, content)
            assert response.status_code == 400, message
            assert message in response.text
        huge = await _upload(client, b"sku,name,price\n" + b"X,Y,1\n" * (2 * 1024 * 1024))
    assert huge.status_code == 413
    assert await _count(harness) == 0


async def test_the_export_reads_back_as_the_same_catalog(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        await _confirm(client, await _upload(client, GOOD.encode()))
        exported = await client.get("/catalog/export.csv")
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert next((r["sku"], r["price"], r["tax_rate"], r["category"]) for r in rows) == (
            "BRD-1",
            "1.20",
            "5.5",
            "Bakery",
        )
        reimport = await _upload(client, exported.content)
        assert "3 products ready" in reimport.text
        await _confirm(client, reimport)
    async with harness.db.read() as session:
        assert set(await session.scalars(select(Product.version))) == {1}  # nothing changed


async def test_names_and_categories_like_formulas_export_as_text_and_import_back_unchanged(
    harness: Harness,
) -> None:
    risky = (
        "sku,name,price,category\n"
        'EVL-1,"=HYPERLINK(""http://evil.example"",""Open"")",1.00,+Promo\n'
        "EVL-2,-20 % on cheese,1.00,@home\n"
        "EVL-3,'quoted',1.00,-\n"
    )
    async with harness.signed_in(Role.OWNER) as client:
        await _confirm(client, await _upload(client, risky.encode()))
        exported = await client.get("/catalog/export.csv")
        rows = {r["sku"]: (r["name"], r["category"]) for r in csv.DictReader(io.StringIO(exported.text))}
        assert rows == {
            "EVL-1": ('\'=HYPERLINK("http://evil.example","Open")', "'+Promo"),
            "EVL-2": ("'-20 % on cheese", "'@home"),
            "EVL-3": ("''quoted'", "'-"),
        }
        await _confirm(client, await _upload(client, exported.content))
    async with harness.db.read() as session:
        names = dict(list(await session.execute(select(Product.sku, Product.name))))
        assert set(await session.scalars(select(Product.version))) == {1}  # the import changed nothing
    assert names == {
        "EVL-1": '=HYPERLINK("http://evil.example","Open")',
        "EVL-2": "-20 % on cheese",
        "EVL-3": "'quoted'",
    }


async def test_staff_without_edit_rights_cannot_import(harness: Harness) -> None:
    async with harness.signed_in(Role.DRIVER) as client:
        assert (await _upload(client, GOOD.encode())).status_code == 403
