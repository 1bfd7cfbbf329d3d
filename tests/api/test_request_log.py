"""One JSON line per request, for whoever runs the shop: what was asked, the answer, how long it
took and who asked; never a secret that sits in a path."""

from __future__ import annotations

import json
import logging

from backend.auth.rules import Role
from backend.orders import service
from tests.api.conftest import MakeHarness, post_form
from tests.api.order_fixtures import actor_for, build_shop, draft


class _Kept(logging.Handler):
    """The access log's records, taken where they are made: the app sets up the root logger's own
    handlers when it is built, which would drop a capture installed before."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))


async def test_each_request_is_one_line_and_a_tracking_token_never_shows(make_harness: MakeHarness) -> None:
    harness = await make_harness(log_requests=True)
    await build_shop(harness.db)
    order = await service.place_order(
        harness.db, actor_for(Role.STAFF, harness.users[Role.STAFF].id), draft()
    )
    access, kept = logging.getLogger("comptoir.access"), _Kept()
    access.addHandler(kept)
    try:
        async with harness.signed_in(Role.OWNER) as owner:
            await owner.get(f"/orders/{order.id}")
        async with harness.client() as shopper:
            await shopper.get(f"/t/{order.tracking_token}")
            await shopper.get(f"/t/{order.tracking_token}x")  # no such order: 404
            await shopper.get("/no-such-page")  # no route at all: answered before any middleware
            await shopper.delete("/health")
    finally:
        access.removeHandler(kept)
    lines = kept.lines
    by_path = {line["path"]: line for line in lines}
    owner_id = harness.users[Role.OWNER].id
    page = by_path[f"/orders/{order.id}"]
    assert isinstance(page["ms"], float | int)
    assert page["client"]
    assert page | {"ms": 0, "client": "…"} == {
        "method": "GET",
        "path": f"/orders/{order.id}",
        "status": 200,
        "ms": 0,
        "user": owner_id,
        "client": "…",
    }
    assert [line["status"] for line in lines if line["path"].startswith("/t/")] == [200, 404]
    assert all(order.tracking_token not in json.dumps(line) for line in lines)
    unrouted = {
        (line["method"], line["path"]): (line["status"], line["ms"]) for line in lines if line["ms"] is None
    }
    assert unrouted == {("GET", "/no-such-page"): (404, None), ("DELETE", "/health"): (405, None)}


async def test_a_token_in_a_request_no_route_takes_never_shows_either(make_harness: MakeHarness) -> None:
    harness = await make_harness(log_requests=True)
    await build_shop(harness.db)
    order = await service.place_order(
        harness.db, actor_for(Role.STAFF, harness.users[Role.STAFF].id), draft()
    )
    token = order.tracking_token
    access, kept = logging.getLogger("comptoir.access"), _Kept()
    access.addHandler(kept)
    try:
        async with harness.client() as bot:
            answers = [
                await bot.head(f"/t/{token}"),  # a link preview
                await bot.put(f"/t/{token}"),  # no such method: 405
                await bot.get(f"/t/{token}/anything"),  # no such route: 404
                await bot.get(f"/t/{token}/cancel"),  # the cancel form takes POST only
                await bot.get(f"/t/{token}/"),
            ]
    finally:
        access.removeHandler(kept)
    statuses = [answer.status_code for answer in answers]
    assert statuses == [200, 405, 404, 405, 200]  # a trailing slash is the same page
    assert [(line["method"], line["status"]) for line in kept.lines] == [
        ("HEAD", 200),
        ("PUT", 405),
        ("GET", 404),
        ("GET", 405),
        ("GET", 200),
    ]
    assert [line["path"] for line in kept.lines] == ["/t/…", "/t/…", "/t/…/anything", "/t/…/cancel", "/t/…"]
    assert all(token not in json.dumps(line) for line in kept.lines)


async def test_an_invitation_link_never_shows_in_the_log(make_harness: MakeHarness) -> None:
    harness = await make_harness(log_requests=True)
    access, kept = logging.getLogger("comptoir.access"), _Kept()
    access.addHandler(kept)
    try:
        async with harness.signed_in(Role.OWNER) as owner:
            created = await post_form(
                owner, "/team/invitations", {"name": "Noor", "email": "noor@shop.test", "role": "staff"}
            )
        token = created.text.split("/invite/")[1].split("<")[0].strip()
        async with harness.client() as newcomer:
            await newcomer.get(f"/invite/{token}")
            await newcomer.put(f"/invite/{token}")  # no such method: no route takes it
            await post_form(newcomer, f"/invite/{token}", {"password": "a long walk to the market"})
    finally:
        access.removeHandler(kept)
    paths = [line["path"] for line in kept.lines if "/invite/" in str(line["path"])]
    assert paths == ["/invite/…", "/invite/…", "/invite/…"]
    assert all(token not in json.dumps(line) for line in kept.lines)
