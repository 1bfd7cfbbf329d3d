"""Marketplace orders imported from a CSV export: preview, row errors, confirmation, idempotence."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.kernel.events import Event
from backend.orders.drafts import CustomerDetails, OrderDraft, WantedLine
from backend.orders.models import Order, OrderLine
from backend.orders.service import place_order
from tests.api.conftest import Harness, csrf_token, post_form
from tests.api.order_fixtures import actor_for, build_shop

HEADER = "external_ref,customer_name,email,phone,sku,quantity,fulfilment_mode,address_line1,city,postal_code,country,location,payment_method,notes\n"
TWO_ORDERS = (
    HEADER
    + "MKT-1,Ada Lovelace,ada@example.com,+33 6 12 34 56 78,APPLE,2,delivery,1 rue de Rivoli,Paris,75001,FR,,card,Ring twice\n"
    + "MKT-1,,,,PEAR,1,,,,,,,,\n"
    + "MKT-2,Grace Hopper,grace@example.com,,PLUM,1,pickup,,,,,BTQ,card,\n"
)


async def _upload(client: httpx.AsyncClient, content: bytes, name: str = "export.csv") -> httpx.Response:
    token = await csrf_token(client)
    return await client.post(
        "/orders/import", files={"file": (name, content, "text/csv")}, data={"_csrf_token": token}
    )


def _hidden(page: httpx.Response, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert match, f"no {name} in the page"
    return match[1]


async def _confirm(client: httpx.AsyncClient, preview: httpx.Response, **changes: str) -> httpx.Response:
    fields = {name: _hidden(preview, name) for name in ("sealed", "filename", "_idempotency_key")}
    return await post_form(client, "/orders/import/confirm", {**fields, **changes})


async def _orders(harness: Harness) -> list[Order]:
    async with harness.db.read() as session:
        return list(await session.scalars(select(Order).order_by(Order.id)))


async def _count(harness: Harness, table: type) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(table))


async def test_a_file_of_multi_line_orders_is_previewed_then_placed(harness: Harness) -> None:
    await build_shop(harness.db)
    async with harness.signed_in(Role.STAFF) as client:
        events = await _count(harness, Event)
        preview = await _upload(client, TWO_ORDERS.encode())
        assert preview.status_code == 200
        assert "2 orders ready to place" in preview.text
        assert await _count(harness, Order) == 0  # a preview writes nothing
        assert await _count(harness, Event) == events
        done = await _confirm(client, preview)
    assert done.status_code == 200
    assert "2 orders placed" in done.text
    first, second = await _orders(harness)
    assert f'href="/orders/{first.id}"' in done.text
    assert f'href="/orders/{second.id}"' in done.text
    assert (first.channel, first.external_ref, first.fulfilment_mode) == ("marketplace", "MKT-1", "delivery")
    assert (first.phone, first.address_city, first.notes) == ("+33612345678", "Paris", "Ring twice")
    assert (second.external_ref, second.fulfilment_mode) == ("MKT-2", "pickup")
    async with harness.db.read() as session:
        lines = (
            await session.execute(
                select(OrderLine.sku, OrderLine.quantity).where(OrderLine.order_id == first.id)
            )
        ).all()
        event = await session.scalar(select(Event).where(Event.type == "order.file_imported"))
    assert sorted(lines) == [("APPLE", 2), ("PEAR", 1)]
    assert first.total_minor == 2 * 250 + 400  # priced from the catalog
    assert (
        harness.app.state.site.live.describe(event, "Sami")
        == "Sami imported export.csv: orders placed 2, skipped 0, refused 0"
    )


async def test_row_errors_are_listed_by_row_and_only_sound_orders_are_placed(harness: Harness) -> None:
    await build_shop(harness.db)
    content = TWO_ORDERS + (
        "MKT-3,Bob,bob@example,,APPLE,0,delivery,,,,,,card,\n"
        "MKT-3,Robert,,,GHOST,1.5,,,,,,,,\n"
        "MKT-4,Cy,cy@example.com,12,OLD,1,pickup,,,,,NOWHERE,cash,\n"
        ",Nobody,no@example.com,,APPLE,1,pickup,,,,,,cash,\n"
    )
    async with harness.signed_in(Role.STAFF) as client:
        preview = await _upload(client, content.encode())
        assert preview.status_code == 200
        assert "2 orders ready to place" in preview.text
        found = set(re.findall(r'data-row="(\d+)" data-column="(\w+)"', preview.text))
        assert found == {
            ("5", "email"),  # bob@example
            ("5", "quantity"),  # 0
            ("5", "address_line1"),  # a delivery without an address
            ("6", "customer_name"),  # Robert is not Bob
            ("6", "quantity"),  # 1.5
            ("6", "sku"),  # GHOST is not in the catalog
            ("7", "phone"),
            ("7", "sku"),  # OLD is archived
            ("7", "location"),
            ("8", "external_ref"),
        }
        assert "This e-mail address does not look right." in preview.text
        assert "An earlier row of this order says something else here." in preview.text
        done = await _confirm(client, preview)
    assert "2 orders placed" in done.text
    assert "2 orders not placed" in done.text
    refused = done.text.split('data-ref="MKT-3"')[1].split('data-ref="MKT-4"')[0]
    assert re.findall(r'data-row="(\d+)"', refused) == ["5", "5", "5", "6", "6", "6"]  # by row
    assert [order.external_ref for order in await _orders(harness)] == ["MKT-1", "MKT-2"]


async def test_a_file_with_nothing_to_place_is_refused_without_a_confirmation(harness: Harness) -> None:
    await build_shop(harness.db)
    async with harness.signed_in(Role.STAFF) as client:
        preview = await _upload(client, (HEADER + "MKT-9,Bob,,,APPLE,-1,pickup,,,,,,cash,\n").encode())
    assert preview.status_code == 400
    assert 'data-row="2" data-column="quantity"' in preview.text
    assert 'data-row="2" data-column="email"' in preview.text  # neither e-mail nor phone
    assert 'name="sealed"' not in preview.text


async def test_a_reference_already_imported_is_skipped_but_another_channel_s_is_not(harness: Harness) -> None:
    await build_shop(harness.db)
    actor = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    for channel, reference in (("marketplace", "MKT-1"), ("api", "MKT-2")):
        draft = OrderDraft(
            CustomerDetails("Earlier", f"earlier-{channel}@example.com"),
            [WantedLine("APPLE", 1)],
            "pickup",
            "cash",
            channel,
            external_ref=reference,
        )
        await place_order(harness.db, actor, draft)
    async with harness.signed_in(Role.STAFF) as client:
        preview = await _upload(client, TWO_ORDERS.encode())
        assert "1 order ready to place" in preview.text
        assert "1 order already imported: skipped" in preview.text
        done = await _confirm(client, preview)
    assert "1 order placed" in done.text
    assert "1 order already imported" in done.text
    placed = [(order.channel, order.external_ref) for order in await _orders(harness)]
    assert placed == [("marketplace", "MKT-1"), ("api", "MKT-2"), ("marketplace", "MKT-2")]


async def test_the_same_file_imported_twice_creates_nothing_the_second_time(harness: Harness) -> None:
    await build_shop(harness.db)
    async with harness.signed_in(Role.STAFF) as client:
        first = await _upload(client, TWO_ORDERS.encode())
        await _confirm(client, first)
        again = await _upload(client, TWO_ORDERS.encode())
        assert "0 orders ready to place" in again.text
        assert "2 orders already imported: skipped" in again.text
        assert 'name="sealed"' not in again.text
        replayed = await _confirm(client, first, _idempotency_key="another-key")  # the old form, sent again
    assert replayed.status_code == 200
    assert "0 orders placed" in replayed.text
    assert "2 orders already imported" in replayed.text
    assert await _count(harness, Order) == 2
    assert await _count(harness, OrderLine) == 3


def _main(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


async def test_a_double_tap_on_confirm_places_once_and_answers_the_same(harness: Harness) -> None:
    await build_shop(harness.db)
    async with harness.signed_in(Role.STAFF) as client:
        preview = await _upload(client, TWO_ORDERS.encode())
        first = await _confirm(client, preview)
        second = await _confirm(client, preview)
    assert second.headers.get("idempotent-replayed") == "true"
    # The same result, rendered again (the page around it shows the live feed's latest event).
    assert _main(second.text) == _main(first.text)
    assert await _count(harness, Order) == 2


async def test_an_order_short_of_stock_is_reported_while_the_others_go_in(harness: Harness) -> None:
    await build_shop(harness.db)
    content = (
        TWO_ORDERS
        + "MKT-3,Cy,cy@example.com,,APPLE,1,delivery,1 rue X,Paris,75001,FR,ENT,card,\nMKT-3,,,,PLUM,40,,,,,,,,\n"
    )
    async with harness.signed_in(Role.STAFF) as client:
        preview = await _upload(client, content.encode())
        assert "3 orders ready to place" in preview.text
        done = await _confirm(client, preview)
    assert done.status_code == 200
    assert "2 orders placed" in done.text
    assert "1 order not placed" in done.text
    assert 'data-row="6" data-column="quantity"' in done.text
    assert "Not enough stock: 3 available." in done.text
    assert [order.external_ref for order in await _orders(harness)] == ["MKT-1", "MKT-2"]


async def test_people_who_may_not_take_orders_cannot_import(harness: Harness) -> None:
    await build_shop(harness.db)
    for role in (Role.DRIVER, Role.CUSTOMER):
        async with harness.signed_in(role) as client:
            assert (await client.get("/orders/import")).status_code == 403
            assert (await _upload(client, TWO_ORDERS.encode())).status_code == 403
            refused = await post_form(client, "/orders/import/confirm", {"sealed": "1.x.y"})
            assert refused.status_code == 403
    async with harness.signed_in(Role.STAFF) as client:
        assert (await client.get("/orders/import")).status_code == 200
        assert 'href="/orders/import"' in (await client.get("/orders/all")).text
    assert await _count(harness, Order) == 0


async def test_unusable_files_get_a_clear_message_and_never_a_server_error(harness: Harness) -> None:
    await build_shop(harness.db)
    cases = {
        "not UTF-8": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        "The file has no orders.": b"",
        "these are missing: customer_name, quantity": b"external_ref,sku,fulfilment_mode,payment_method\nM,A,pickup,cash\n",
        "These columns are named twice: sku": (HEADER.strip() + ",SKU\n").encode(),
        "larger than 2 MB": HEADER.encode() + b"x" * (2 * 1024 * 1024),
        "more than 5,000 rows": HEADER.encode()
        + b"M-1,Ada,a@example.com,,APPLE,1,pickup,,,,,,cash,\n" * 5001,
    }
    async with harness.signed_in(Role.STAFF) as client:
        for message, content in cases.items():
            response = await _upload(client, content)
            assert response.status_code == 400, message
            assert message in response.text, message
        token = await csrf_token(client)
        no_file = await client.post("/orders/import", data={"_csrf_token": token})
        assert no_file.status_code == 400
        huge = await _upload(client, b"x" * (5 * 1024 * 1024))
        assert huge.status_code == 413
    assert await _count(harness, Order) == 0


async def test_a_confirmation_that_was_altered_or_belongs_to_someone_else_places_nothing(
    harness: Harness,
) -> None:
    await build_shop(harness.db)
    async with harness.signed_in(Role.OWNER) as owner:
        owners_preview = await _upload(owner, TWO_ORDERS.encode())
    async with harness.signed_in(Role.STAFF) as client:
        preview = await _upload(client, TWO_ORDERS.encode())
        sealed = _hidden(preview, "sealed")
        issued, payload, signature = sealed.split(".")
        for forged in (f"{issued}.{payload[:-8]}AAAAAAAA.{signature}", "", "garbage"):
            refused = await _confirm(client, preview, sealed=forged, _idempotency_key=f"k-{len(forged)}")
            assert refused.status_code == 400
            assert "This preview has expired or was altered" in refused.text
        borrowed = await _confirm(client, owners_preview)
        assert borrowed.status_code == 400
    assert await _count(harness, Order) == 0
