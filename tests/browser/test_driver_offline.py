"""The driver's run without a signal (Chromium, 390×844): the run is started online, then three
drop-offs (a photo file, a signature drawn on the pad, the position the phone gives) and one
failure are made offline, kept on the phone through a reload, and sent once the signal returns:
exactly three deliveries and one failure reach the server, each once, and the owner's run view,
open in another browser, shows them as they arrive."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from backend.auth.models import User
from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.auth.service import create_user
from backend.delivery import planning
from backend.demo.shop import DEMO_PASSWORD
from backend.kernel.db import utcnow
from backend.kernel.events import Event
from backend.orders import service
from backend.orders.drafts import Address, CustomerDetails, OrderDraft, WantedLine
from backend.orders.rules import Actor, OrderStatus
from tests.browser.conftest import ContextFactory, first_page, sign_in
from tests.browser.test_app_shell import OWNER, eventually, goto, reload, wait_for_worker, wait_until_cached
from tests.browser.test_offline_catalog import OUTBOX_EMPTY
from tests.browser.test_order_queue import database
from tests.conftest import _run

pytestmark = pytest.mark.browser

ZONE = ZoneInfo("Europe/Paris")
DOORS = (
    ("4 rue de la Roquette", "75011", 48.8540, 2.3710),
    ("9 avenue Parmentier", "75011", 48.8620, 2.3790),
    ("30 rue de Charonne", "75011", 48.8535, 2.3775),
    ("2 rue de Bagnolet", "75020", 48.8585, 2.3985),
)
HERE = {"latitude": 48.8560, "longitude": 2.3750, "accuracy": 12}


async def _run_for_a_new_driver(data_dir: Path) -> tuple[str, int]:
    """A driver of their own (so no other test's run is in the way) and today's run of four
    packed orders, planned by the owner."""
    db = database(data_dir)
    try:
        email = f"rider-{uuid.uuid4().hex[:6]}@demo.test"
        driver_id = (await create_user(db, email, "Rita Rider", Role.DRIVER, DEMO_PASSWORD)).id
        async with db.read() as session:
            owner_id = await session.scalar(select(User.id).where(User.email == OWNER))
        owner = Actor(owner_id, ROLE_PERMISSIONS[Role.OWNER])
        ids = []
        for n, (street, postal, lat, lon) in enumerate(DOORS):
            customer = CustomerDetails(
                f"Client {n}", f"client-{uuid.uuid4().hex[:8]}@example.com", "+33600000000"
            )
            address = Address(street, "Paris", postal, "FR", lat, lon)
            draft = OrderDraft(
                customer, [WantedLine("SAL-PENNE-500", 1)], "delivery", "card", "storefront", address
            )
            placed = await service.place_order(db, owner, draft)
            for status in (OrderStatus.ACCEPTED, OrderStatus.PICKING, OrderStatus.PACKED):
                await service.transition_order(db, owner, placed.id, status)
            ids.append(placed.id)
        today = utcnow().astimezone(ZONE).date()
        starts = datetime.combine(today, time(9, 0), tzinfo=ZONE)
        run = await planning.plan_run(db, owner, driver_id, today, ids, starts_at=starts)
        return email, run.id
    finally:
        await db.dispose()


async def _outcomes(data_dir: Path, run_id: int) -> dict[str, int]:
    db = database(data_dir)
    try:
        async with db.read() as session:
            rows = await session.execute(
                select(Event.type, func.count()).where(Event.subject == f"run:{run_id}").group_by(Event.type)
            )
            return dict(rows.all())
    finally:
        await db.dispose()


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (180, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def _sign(page: Page, stop: str) -> None:
    pad = page.locator(f"{stop} [data-signature-pad]")
    box = pad.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 8):
        page.mouse.move(box["x"] + 20 + step * 30, box["y"] + box["height"] / 2 + (step % 2) * 15)
    page.mouse.up()


def _confirm_offline(page: Page, stop: str, queued: int) -> None:
    page.locator(stop).get_by_text("Delivered", exact=True).click()
    expect(page.locator(f"{stop} [data-position-text]")).to_contain_text("Position found")
    page.locator(f"{stop} [data-photo]").set_input_files(
        {"name": "door.jpg", "mimeType": "image/jpeg", "buffer": _photo()}
    )
    _sign(page, stop)
    page.locator(stop).get_by_role("button", name="Confirm the drop-off").click()
    expect(page.locator("#outbox")).to_have_attribute("data-pending", str(queued))


def test_drop_offs_made_offline_reach_the_server_once_and_the_owner_sees_them(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    email, run_id = _run(_run_for_a_new_driver(server_data_dir))
    boss = first_page(new_context())
    sign_in(boss, OWNER)
    boss.goto(f"/deliveries/runs/{run_id}")
    expect(boss.locator("#connection")).to_have_attribute("data-state", "online")
    expect(boss.locator("#run-map.leaflet-container")).to_be_visible()
    boss.evaluate("document.getElementById('run-map').drawnOnce = true")  # lost if drawn anew

    phone = new_context()
    phone.grant_permissions(["geolocation"])
    phone.set_geolocation(HERE)
    page = first_page(phone)
    sign_in(page, email)
    expect(page.locator(".app-bar__title")).to_have_text("Today's run")
    wait_for_worker(page)
    page.get_by_role("button", name="Start the run and share my position").click()
    expect(page.locator("#driver-run")).to_have_attribute("data-status", "started")
    wait_until_cached(page, "/deliveries/today")
    expect(boss.locator("#run-progress")).to_have_attribute("data-status", "started")
    # The run's part of the page was drawn again: its map was kept, with its four stops.
    expect(boss.locator("#run-map path.leaflet-interactive")).to_have_count(4)
    assert boss.evaluate("document.getElementById('run-map').drawnOnce") is True

    phone.set_offline(True)
    stops = [f"#driver-stops > li:nth-child({n})" for n in range(1, 5)]
    for queued, stop in enumerate(stops[:3], start=1):
        _confirm_offline(page, stop, queued)
    page.locator(stops[3]).get_by_text("Not delivered", exact=True).click()
    page.locator(f"{stops[3]} select[name=reason]").select_option("nobody_home")
    page.locator(stops[3]).get_by_role("button", name="Record the failure").click()
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "4")
    expect(page.locator("[data-waiting-count]")).to_have_text("4")
    assert _run(_outcomes(server_data_dir, run_id)).get("delivery.dropped_off") is None

    reload(page)  # still offline: the page from the phone, the four changes still waiting
    expect(page.locator("[data-waiting-count]")).to_have_text("4")
    expect(page.locator("#driver-stops > li[data-queued=true]")).to_have_count(4)

    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    eventually(page, OUTBOX_EMPTY, seconds=30)
    outcomes = _run(_outcomes(server_data_dir, run_id))
    assert (outcomes.get("delivery.dropped_off"), outcomes.get("delivery.failed")) == (3, 1)
    expect(boss.locator("#run-stops li[data-state=delivered]")).to_have_count(3)
    expect(boss.locator("#run-stops li[data-state=failed]")).to_have_count(1)
    goto(page, "/deliveries/today")
    expect(page.locator("#driver-stops > li[data-state=delivered]")).to_have_count(3)
