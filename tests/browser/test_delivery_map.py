"""The owner's run view draws its map from this server's copy of Leaflet when the CDN is down
(Chromium, 390×844): one marker per stop, drawn as vector circles, so no marker image is looked
up next to a style sheet that moved, and nothing the page loads is refused by its
Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Response, expect

from tests.browser.conftest import ContextFactory, first_page, sign_in
from tests.browser.test_app_shell import OWNER
from tests.browser.test_driver_offline import DOORS, _run_for_a_new_driver
from tests.conftest import _run

pytestmark = pytest.mark.browser


def test_the_run_map_draws_its_markers_from_the_same_origin_copy(
    new_context: ContextFactory, server_data_dir: Path, server: str
) -> None:
    _, run_id = _run(_run_for_a_new_driver(server_data_dir))
    boss = first_page(new_context(cdn_up=False))
    refused: list[str] = []
    missing: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    def answered(response: Response) -> None:
        if response.status >= 400 and response.url.startswith(server):
            missing.append(f"{response.status} {response.url}")

    sign_in(boss, OWNER)
    boss.on("console", console)
    boss.on("response", answered)
    boss.on("requestfailed", lambda request: request.resource_type == "image" and missing.append(request.url))
    boss.goto(f"/deliveries/runs/{run_id}")
    expect(boss.locator(".run-map.leaflet-container")).to_be_visible()
    assert boss.evaluate(
        "[...document.styleSheets].some((s) => (s.href || '').includes('/static/vendor/leaflet'))"
    )
    expect(boss.locator(".run-map path.leaflet-interactive")).to_have_count(len(DOORS))
    expect(boss.locator(".run-map .leaflet-tooltip")).to_have_count(len(DOORS))
    assert boss.locator(".run-map img.leaflet-marker-icon").count() == 0
    assert refused == []
    assert missing == []
