"""The Deliveries tab and the driver's "Today's run" through their forms: a run created from the
ready list and re-ordered, the driver starting it, confirming a drop-off with a photo and a
signature, failing a stop, finishing and handing back the cash, the owner counting it; proofs
shown only to who may see them (the tracking link included); the order page shows the proof."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

from backend.auth.rules import Role
from backend.orders.drafts import DeliverySlot
from tests.api.conftest import Harness, post_form
from tests.api.delivery_fixtures import NATION, jpeg, owner_actor, packed, packed_tracked, png
from tests.api.order_fixtures import build_shop


def first_run_id(location: str) -> int:
    found = re.search(r"/deliveries/runs/(\d+)", location)
    assert found, location
    return int(found.group(1))


async def test_owner_plans_driver_delivers_owner_counts(harness: Harness) -> None:
    await build_shop(harness.db)
    owner = owner_actor(harness.users[Role.OWNER])
    cod, token = await packed_tracked(harness.db, owner, payment_method="cash_on_delivery")
    far = await packed(harness.db, owner, address=NATION)
    driver_id = harness.users[Role.DRIVER].id
    async with harness.signed_in(Role.OWNER) as boss, harness.signed_in(Role.DRIVER) as driver:
        board = await boss.get("/deliveries")
        assert board.status_code == 200
        assert "Ready for delivery" in board.text
        assert 'data-ready="' in board.text
        none = await post_form(boss, "/deliveries/plan", {"orders": [str(cod)], "action": "create"})
        assert none.status_code == 400
        assert "Choose at least one driver" in none.text
        made = await post_form(
            boss,
            "/deliveries/plan",
            {"orders": [str(cod), str(far)], "drivers": [str(driver_id)], "action": "create"},
        )
        assert made.status_code == 303, made.text
        run_id = first_run_id(made.headers["location"])
        page = await boss.get(f"/deliveries/runs/{run_id}")
        assert page.status_code == 200
        assert page.text.count('class="list__item stop"') == 2
        version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
        stop_ids = re.findall(r'id="stop-(\d+)"', page.text)
        moved = await post_form(
            boss,
            f"/deliveries/runs/{run_id}/stops/{stop_ids[1]}/move",
            {"direction": "up", "version": version},
        )
        assert moved.status_code == 303
        stale = await post_form(
            boss,
            f"/deliveries/runs/{run_id}/stops/{stop_ids[1]}/move",
            {"direction": "up", "version": version},
        )
        assert stale.status_code == 409
        assert "changed since you last saw it" in stale.text
        page = await boss.get(f"/deliveries/runs/{run_id}")
        assert re.findall(r'id="stop-(\d+)"', page.text) == [stop_ids[1], stop_ids[0]]

        home = await driver.get("/")
        assert home.status_code == 303
        assert home.headers["location"] == "/deliveries/today"
        today = await driver.get("/deliveries/today")
        assert "Start the run and share my position" in today.text
        assert "every 30 seconds" in today.text
        started = await post_form(driver, f"/deliveries/today/{run_id}/start", {})
        assert started.status_code == 303
        fix = {"latitude": 48.857, "longitude": 2.35, "accuracy_m": 14}
        csrf = {"x-csrftoken": driver.cookies["csrftoken"]}
        sent = await driver.post(f"/deliveries/today/{run_id}/position", json=fix, headers=csrf)
        assert sent.status_code == 204, sent.text
        absurd = await driver.post(
            f"/deliveries/today/{run_id}/position", json={**fix, "latitude": 91}, headers=csrf
        )
        assert absurd.status_code == 422
        watched = await boss.get(f"/deliveries/runs/{run_id}")
        assert watched.status_code == 200
        assert "within 14 m" in watched.text
        assert "Drivers on the road" in (await boss.get("/deliveries")).text
        today = await driver.get("/deliveries/today")
        assert today.text.count('enctype="multipart/form-data"') == 2
        assert "geo:" in today.text
        assert "tel:" in today.text
        stops = dict(re.findall(r'id="stop-(\d+)" data-stop="(\d+)"', today.text))
        cod_stop = next(
            s for s in stops if f"/stops/{s}/delivered" in today.text and "Collect" in _card(today.text, s)
        )
        other = next(s for s in stops if s != cod_stop)
        signature = "data:image/png;base64," + base64.b64encode(png()).decode()
        form = {
            "recipient": "Ada",
            "latitude": "48.8607",
            "longitude": "2.3377",
            "accuracy_m": "9",
            "cash": "2.50",
            "currency": "EUR",
            "at": "2026-12-14T09:20:00+01:00",
            "signature_png": signature,
        }
        url = f"/deliveries/today/{run_id}/stops/{cod_stop}/delivered"
        files = {"photo": ("door.jpg", jpeg(), "image/jpeg")}
        for cash, message in (
            ("2.505", "cash"),  # more decimals than euros have
            ("-1", "cash"),
            ("two euros", "cash"),
            ("", "cash"),  # none said, on a cash-on-delivery stop
        ):
            refused = await post_form(driver, url, {**form, "cash": cash, "cash_minor": "250"}, files=files)
            assert refused.status_code == 400, cash
            error = re.search(rf'id="cash-{cod_stop}-error">([^<]+)<', refused.text)
            assert error, (cash, refused.text)  # under the field it was typed in
            assert message in error.group(1).lower()
            assert f'value="{cash}"' in refused.text  # what was typed stays
        form["cash"] = "2,50"  # typed in euros, either decimal mark
        done = await post_form(driver, url, form, files=files)
        assert done.status_code == 303, done.text
        again = await post_form(driver, url, form, files=files)
        assert again.status_code == 303  # a double tap: answered as it is
        failed = await post_form(
            driver, f"/deliveries/today/{run_id}/stops/{other}/failed", {"reason": "other"}
        )
        assert failed.status_code == 400
        assert "Say what happened" in failed.text
        failed = await post_form(
            driver,
            f"/deliveries/today/{run_id}/stops/{other}/failed",
            {"reason": "other", "note": "Gate locked"},
        )
        assert failed.status_code == 303
        assert (await post_form(driver, f"/deliveries/today/{run_id}/finish", {})).status_code == 303
        too_precise = await post_form(
            driver, f"/deliveries/today/{run_id}/cash", {"amount": "2.001", "currency": "EUR"}
        )
        assert too_precise.status_code == 400
        assert 'id="f-amount-error"' in too_precise.text
        assert 'value="2.001"' in too_precise.text
        declared = await post_form(
            driver, f"/deliveries/today/{run_id}/cash", {"amount": "2.00", "currency": "EUR"}
        )
        assert declared.status_code == 303

        page = await boss.get(f"/deliveries/runs/{run_id}")
        assert "Gate locked" in page.text
        assert 'data-cash="collected"' in page.text
        version = re.search(
            r'action="/deliveries/runs/\d+/cash".*?name="version" value="(\d+)"', page.text, re.S
        ).group(1)
        counted = await post_form(
            boss,
            f"/deliveries/runs/{run_id}/cash",
            {"received": "2.00", "currency": "EUR", "version": version},
        )
        assert counted.status_code == 303
        page = await boss.get(f"/deliveries/runs/{run_id}")
        owed = re.search(r'data-cash="owed">([^<]+)<', page.text).group(1)
        assert "0,50" in owed or "0.50" in owed
        board = await boss.get("/deliveries")
        assert "Cash owed by drivers" in board.text

        proofs = await boss.get(f"/deliveries/orders/{cod}/proofs")
        photo = re.search(r'src="(/deliveries/proofs/[0-9a-f]{64})"', proofs.text).group(1)
        assert (await boss.get(photo)).headers["content-type"] == "image/jpeg"  # the phone's, as sent
        assert (await driver.get(photo)).status_code == 200
        order_page = await boss.get(f"/orders/{cod}")
        assert f"/deliveries/orders/{cod}/proofs" in order_page.text
        digest = photo.rsplit("/", 1)[1]
    async with harness.client() as stranger:
        assert (await stranger.get(f"/t/{token}/proof/{digest}")).status_code == 200
        assert (await stranger.get(f"/t/not-the-token/proof/{digest}")).status_code == 404
        assert (await stranger.get(photo)).status_code in (401, 303)
    async with harness.signed_in(Role.CUSTOMER) as customer:
        assert (await customer.get(photo)).status_code == 404  # not their order


def _card(html: str, stop_id: str) -> str:
    start = html.index(f'id="stop-{stop_id}"')
    end = html.find('id="stop-', start + 10)
    return html[start : end if end > 0 else len(html)]


async def test_the_driver_sees_a_conflict_when_the_stop_changed(harness: Harness) -> None:
    await build_shop(harness.db)
    owner = owner_actor(harness.users[Role.OWNER])
    order = await packed(harness.db, owner)
    async with harness.signed_in(Role.OWNER) as boss, harness.signed_in(Role.DRIVER) as driver:
        driver_id = harness.users[Role.DRIVER].id
        made = await post_form(
            boss,
            "/deliveries/plan",
            {"orders": [str(order)], "drivers": [str(driver_id)], "action": "create"},
        )
        run_id = first_run_id(made.headers["location"])
        await post_form(driver, f"/deliveries/today/{run_id}/start", {})
        today = (await driver.get("/deliveries/today")).text
        stop = re.search(r'id="stop-(\d+)"', today).group(1)
        version = re.search(r'name="version" value="(\d+)"', _card(today, stop)).group(1)
        await post_form(
            driver,
            f"/deliveries/today/{run_id}/stops/{stop}/failed",
            {"reason": "refused", "version": version},
        )
        late = await post_form(
            driver,
            f"/deliveries/today/{run_id}/stops/{stop}/delivered",
            {
                "recipient": "Ada",
                "latitude": "48.86",
                "longitude": "2.33",
                "accuracy_m": "5",
                "version": version,
            },
        )
    assert late.status_code == 409
    assert "changed since you last saw it" in late.text or "already done" in late.text


async def test_a_driver_cannot_open_the_planning_pages(harness: Harness) -> None:
    async with harness.signed_in(Role.DRIVER) as driver:
        answers = [await driver.get("/deliveries"), await post_form(driver, "/deliveries/plan", {})]
    assert [a.status_code for a in answers] == [403, 403]


async def test_pages_answer_for_an_empty_shop(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as boss, harness.signed_in(Role.DRIVER) as driver:
        board, today = await boss.get("/deliveries"), await driver.get("/deliveries/today")
        missing = await boss.get("/deliveries/runs/999")
    assert board.status_code == 200
    assert "No packed delivery order waits for a run." in board.text
    assert today.status_code == 200
    assert "No stops for you today" in today.text
    assert missing.status_code == 404


async def test_a_slot_shows_on_the_ready_lists_and_the_order_page(harness: Harness) -> None:
    await build_shop(harness.db)
    owner = owner_actor(harness.users[Role.OWNER])
    start = datetime(2026, 12, 14, 13, 0, tzinfo=UTC)
    slotted = await packed(harness.db, owner, slot=DeliverySlot(start, start + timedelta(hours=2)))
    async with harness.signed_in(Role.OWNER) as boss:
        ready = await boss.get("/fulfilment/delivery")
        board = await boss.get("/deliveries")  # its ready list groups by slot already
        order = await boss.get(f"/orders/{slotted}")
    assert ready.text.count("data-slot") == 1
    assert "slot " in ready.text
    assert 'id="order-slot"' in order.text
    assert "Delivery slot:" in order.text
    assert board.status_code == 200
