"""E-mailing a shared document's link through the shop's SMTP server (``COMPTOIR_SMTP_URL``): the
message carries the link and no file; a server that cannot be reached leaves the link made, to
copy by hand. The server is a local one the test starts (loopback only) and stops."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.orders.rules import Actor
from tests.api.conftest import MakeHarness, post_form
from tests.api.order_fixtures import build_shop, draft
from tests.returns_fixtures import delivered_order


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


async def _share(make_harness: MakeHarness, smtp_url: str, email: str):
    harness = await make_harness(smtp_url=smtp_url, smtp_from="shop@example.test")
    await build_shop(harness.db)
    owner = Actor(harness.users[Role.OWNER].id, ROLE_PERMISSIONS[Role.OWNER])
    order = await delivered_order(harness.db, owner, draft())
    async with harness.signed_in(Role.OWNER) as client:
        panel = await client.get(f"/orders/{order.order_id}/documents")
        assert 'name="email"' in panel.text
        form = {
            "document": f"invoice:{order.invoice_id}",
            "recipient": "the customer",
            "email": email,
            "back": f"/orders/{order.order_id}",
        }
        return await post_form(client, "/documents/links", form)


async def test_the_link_is_mailed_not_the_file(make_harness: MakeHarness, inbox: tuple[Inbox, int]) -> None:
    box, port = inbox
    made = await _share(make_harness, f"smtp://127.0.0.1:{port}", "ada@example.com")
    assert made.status_code == 200
    assert "The link was e-mailed to ada@example.com." in made.text
    [raw] = box.messages
    message = message_from_bytes(raw)
    assert message["To"] == "ada@example.com"
    assert message["From"] == "shop@example.test"
    assert not message.is_multipart()  # no attachment: the link only
    link = re.search(r"/d/[A-Za-z0-9_-]{43,}", message.get_payload())
    assert link is not None
    assert link.group(0) in made.text


async def test_a_bad_address_is_refused_before_anything(
    make_harness: MakeHarness, inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    refused = await _share(make_harness, f"smtp://127.0.0.1:{port}", "ada@example.com, eve@example.com")
    assert refused.status_code == 400
    assert "Enter one e-mail address." in refused.text
    assert "/d/" not in refused.text
    assert box.messages == []


async def test_a_dead_server_leaves_the_link_to_copy(make_harness: MakeHarness) -> None:
    dead = await _share(make_harness, f"smtp://127.0.0.1:{_free_port()}", "ada@example.com")
    assert dead.status_code == 200
    assert "could not be sent" in dead.text
    assert "/d/" in dead.text  # the link is made all the same, to copy by hand
