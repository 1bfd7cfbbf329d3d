"""What every answer carries whatever was asked: security headers, and HEAD wherever GET is."""

from __future__ import annotations

import re

import httpx
from litestar.routes import HTTPRoute

from backend.auth.rules import Role
from backend.orders import service
from tests.api.conftest import Harness
from tests.api.order_fixtures import actor_for, build_shop, draft

# Headers that differ between two answers to the same request.
PER_ANSWER = {"date", "set-cookie"}
SAMPLE_PARAMS = {
    int: "1",
    "file_path": "app.css",
    "path": "openapi.yaml",
    "kind": "invoice",
    "digest": "0" * 64,
}


def _sample_path(route: HTTPRoute, token: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "token":
            return token
        return SAMPLE_PARAMS.get(name) or SAMPLE_PARAMS[route.path_parameters[name].type]

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, route.path)


async def _owner_with_token(harness: Harness, client: httpx.AsyncClient) -> None:
    client.headers["authorization"] = f"Bearer {await harness.token(Role.OWNER)}"


async def test_every_get_route_answers_head_with_the_same_status_and_headers_and_no_body(
    harness: Harness,
) -> None:
    await build_shop(harness.db)
    order = await service.place_order(
        harness.db, actor_for(Role.STAFF, harness.users[Role.STAFF].id), draft()
    )
    routes = [r for r in harness.app.routes if isinstance(r, HTTPRoute) and "GET" in r.methods]
    assert len(routes) > 50
    async with harness.signed_in(Role.OWNER) as client:
        await _owner_with_token(harness, client)
        # Uncompressed: a page carries a fresh form key each time, which compresses to another length.
        client.headers["accept-encoding"] = "identity"
        for route in routes:
            path = _sample_path(route, order.tracking_token)
            got, head = await client.get(path), await client.head(path)
            assert head.status_code == got.status_code != 405, path
            assert head.content == b"", path
            kept = {name: value for name, value in got.headers.items() if name not in PER_ANSWER}
            assert {name: value for name, value in head.headers.items() if name not in PER_ANSWER} == kept, (
                path
            )


async def test_head_of_a_tracking_link_answers_like_its_page(harness: Harness) -> None:
    await build_shop(harness.db)
    order = await service.place_order(
        harness.db, actor_for(Role.STAFF, harness.users[Role.STAFF].id), draft()
    )
    async with harness.client() as bot:
        head = await bot.head(f"/t/{order.tracking_token}")
        missing = await bot.head(f"/t/{order.tracking_token}x")
        refused = await bot.head("/api/v1/orders")
    assert (head.status_code, head.content, head.headers["referrer-policy"]) == (200, b"", "no-referrer")
    assert head.headers["content-type"].startswith("text/html")
    assert (missing.status_code, refused.status_code) == (404, 401)


async def test_every_kind_of_answer_carries_the_security_headers(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        answers = {
            "page": await client.get("/"),
            "api error": await client.get("/api/v1/me"),
            "static": await client.get("/static/app.css"),
            "no route": await client.get("/no-such-page"),
            "wrong method": await client.delete("/health"),
            "tracking": await client.get("/t/no-such-token"),
            "csv": await client.get("/catalog/export.csv"),
        }
    for kind, answer in answers.items():
        assert answer.headers["x-content-type-options"] == "nosniff", kind
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], kind
        expected = "no-referrer" if kind == "tracking" else "same-origin"
        assert answer.headers["referrer-policy"] == expected, kind
    assert (answers["no route"].status_code, answers["wrong method"].status_code) == (404, 405)


async def test_the_policy_allows_htmx_from_the_cdn_and_its_fallback_but_no_other_inline_script(
    harness: Harness,
) -> None:
    async with harness.client() as client:
        shop = await client.get("/shop")
    policy = dict(part.split(" ", 1) for part in shop.headers["content-security-policy"].split("; "))
    scripts = policy["script-src"].split()
    assert "'unsafe-inline'" not in scripts
    assert "'unsafe-eval'" not in scripts
    assert "'unsafe-inline'" not in policy["style-src"]
    for src in re.findall(r'<script src="(https://[^"]+)"', shop.text):
        assert src in scripts
    inline = re.findall(r"<script>", shop.text)
    assert len([s for s in scripts if s.startswith("'sha256-")]) == len(inline) == 3
    assert not re.search(r"\son[a-z]+=|hx-on|style=", shop.text)
