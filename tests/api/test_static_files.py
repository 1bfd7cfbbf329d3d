"""Static files: at content-hashed URLs kept for a year, and still at their plain names."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from backend.auth.rules import Role
from backend.pwa.worker import precache_urls
from backend.web import assets
from tests.api.conftest import Harness

IMMUTABLE = "public, max-age=31536000, immutable"
STATIC_URL = re.compile(r"""/static/[^"'#?\s]+""")
PAGES = {None: ["/login", "/shop"], Role.OWNER: ["/", "/orders", "/catalog"], Role.STAFF: ["/orders/new"]}


async def _assert_kept_for_a_year(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url)
    assert response.status_code == 200, url
    assert response.headers["cache-control"] == IMMUTABLE, url
    assert response.content, url


async def _page_urls(harness: Harness, role: Role | None, paths: list[str]) -> set[str]:
    async def collect(client: httpx.AsyncClient) -> set[str]:
        found: set[str] = set()
        for path in paths:
            page = await client.get(path)
            assert page.status_code == 200, path
            found.update(STATIC_URL.findall(page.text))
        return found

    if role is None:
        async with harness.client() as client:
            return await collect(client)
    async with harness.signed_in(role) as client:
        return await collect(client)


async def test_every_static_url_in_a_rendered_page_answers_and_is_kept_for_a_year(harness: Harness) -> None:
    urls: set[str] = set()
    for role, paths in PAGES.items():
        urls |= await _page_urls(harness, role, paths)
    names = {url.removeprefix("/static/") for url in urls}
    assert {"app.css", "app.js", "icons.svg"} <= {re.sub(r"\.[0-9a-f]{12}", "", name) for name in names}
    async with harness.client() as client:
        for url in sorted(urls):
            assert re.search(r"\.[0-9a-f]{12}(\.\w+)?$", url), f"{url} has no content hash"
            await _assert_kept_for_a_year(client, url)


async def test_the_service_worker_precaches_hashed_urls_that_all_answer(harness: Harness) -> None:
    async with harness.client() as client:
        worker = (await client.get("/sw.js")).text
        for url in precache_urls():
            assert json.dumps(url) in worker
            response = await client.get(url)
            assert response.status_code == 200, url
            if url.startswith("/static/"):
                assert response.headers["cache-control"] == IMMUTABLE, url
    assert assets.url("app.css") in precache_urls()


async def test_the_manifest_names_its_icons_by_their_hashed_urls(harness: Harness) -> None:
    async with harness.client() as client:
        manifest = (await client.get("/manifest.webmanifest")).json()
        assert len(manifest["icons"]) == 3
        for icon in manifest["icons"]:
            assert icon["src"] == assets.url(icon["src"].removeprefix("/static/").split(".")[0] + ".png")
            await _assert_kept_for_a_year(client, icon["src"])


@pytest.mark.parametrize("name", ["app.css", "vendor/htmx.min.js", "icons/icon-192.png"])
async def test_a_plain_or_outdated_name_still_answers_but_briefly_cached(harness: Harness, name: str) -> None:
    stem, suffix = name.rsplit(".", 1)
    async with harness.client() as client:
        current = await client.get(assets.url(name))
        plain = await client.get(f"/static/{name}")
        outdated = await client.get(f"/static/{stem}.0123456789ab.{suffix}")
    for response in (plain, outdated):
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=300"
        assert response.content == current.content


async def test_a_head_request_has_the_same_headers_without_the_body(harness: Harness) -> None:
    async with harness.client() as client:
        response = await client.head(assets.url("app.css"))
    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.content == b""


@pytest.mark.parametrize(
    "path", ["/static/nothing.css", "/static/nothing.0123456789ab.css", "/static/%2e%2e/pyproject.toml"]
)
async def test_what_is_not_a_static_file_is_not_found(harness: Harness, path: str) -> None:
    async with harness.client() as client:
        response = await client.get(path)
    assert response.status_code == 404
