"""Text answers are compressed for clients that accept it, and only for them; images never are."""

from __future__ import annotations

import re

import pytest

from backend.auth.rules import Role
from backend.catalog.models import Product
from tests.api.conftest import Harness
from tests.writing import add_all

ENCODINGS = ["br", "gzip"]


async def _add_products(harness: Harness, count: int = 30) -> None:
    products = [
        Product(sku=f"SKU-{n:03}", name=f"Product number {n}", price_minor=100 + n, currency="EUR")
        for n in range(count)
    ]
    await harness.db.run(add_all, products)


def _asset(page: str, name: str) -> str:
    """The URL a page gives a static file (``app.css`` → ``/static/app.<hash>.css``)."""
    stem, suffix = name.rsplit(".", 1)
    found = re.search(rf'"(/static/{re.escape(stem)}\.[0-9a-f]{{12}}\.{suffix})"', page)
    assert found, name
    return found[1]


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_a_page_is_compressed_when_the_client_accepts_it(harness: Harness, encoding: str) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        plain = await client.get("/", headers={"Accept-Encoding": "identity"})
        compressed = await client.get("/", headers={"Accept-Encoding": f"{encoding}"})
    assert compressed.status_code == 200
    assert compressed.headers["content-encoding"] == encoding
    assert "Accept-Encoding" in compressed.headers["vary"]
    assert int(compressed.headers["content-length"]) < len(plain.content) / 2
    assert compressed.text == plain.text  # decoded by the client


async def test_a_browser_that_accepts_both_gets_brotli(harness: Harness) -> None:
    async with harness.client() as client:
        response = await client.get("/login", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.headers["content-encoding"] == "br"


async def test_a_page_is_sent_as_it_is_to_a_client_that_accepts_no_encoding(harness: Harness) -> None:
    async with harness.client() as client:
        identity = await client.get("/login", headers={"Accept-Encoding": "identity"})
        del client.headers["accept-encoding"]
        silent = await client.get("/login")
    for response in (identity, silent):
        assert response.status_code == 200
        assert "content-encoding" not in response.headers
        assert int(response.headers["content-length"]) == len(response.content) > 1024
        assert "<html" in response.text
        assert response.headers["vary"].count("Accept-Encoding") == 1  # for caches in between


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_a_json_api_answer_is_compressed_when_the_client_accepts_it(
    harness: Harness, encoding: str
) -> None:
    await _add_products(harness)
    headers = {"Authorization": f"Bearer {await harness.token(Role.OWNER)}"}
    async with harness.client() as client:
        plain = await client.get("/api/v1/products", headers={**headers, "Accept-Encoding": "identity"})
        compressed = await client.get("/api/v1/products", headers={**headers, "Accept-Encoding": encoding})
    assert "content-encoding" not in plain.headers
    assert compressed.headers["content-encoding"] == encoding
    assert compressed.json() == plain.json()
    assert len(compressed.json()["items"]) == 30


@pytest.mark.parametrize("name", ["app.css", "app.js"])
async def test_stylesheets_and_scripts_are_compressed_but_images_are_not(harness: Harness, name: str) -> None:
    async with harness.client() as client:
        page = (await client.get("/login")).text
        text = await client.get(_asset(page, name), headers={"Accept-Encoding": "br"})
        image = await client.get(_asset(page, "icons/icon-192.png"), headers={"Accept-Encoding": "br, gzip"})
    assert text.status_code == image.status_code == 200
    assert text.headers["content-encoding"] == "br"
    assert image.headers["content-type"] == "image/png"
    assert "content-encoding" not in image.headers
    assert image.content.startswith(b"\x89PNG")


async def test_a_streamed_csv_export_is_compressed_whole(harness: Harness) -> None:
    await _add_products(harness)
    async with harness.signed_in(Role.OWNER) as client:
        plain = await client.get("/catalog/export.csv", headers={"Accept-Encoding": "identity"})
        compressed = await client.get("/catalog/export.csv", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.text == plain.text
    assert plain.text.count("\n") == 31
