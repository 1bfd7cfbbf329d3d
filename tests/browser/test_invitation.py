"""Joining the team on a phone: the owner invites from /team, the person opens the link, chooses a
password and lands on their home, signed in."""

from __future__ import annotations

import uuid
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ContextFactory, first_page, sign_in

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390


def test_an_invited_driver_chooses_a_password_and_lands_signed_in(new_context: ContextFactory) -> None:
    owner = first_page(new_context())
    sign_in(owner, "owner@demo.test")
    owner.goto("/team")
    email = f"noor-{uuid.uuid4().hex[:8]}@demo.test"
    owner.get_by_label("Name").fill("Noor Nouveau")
    owner.get_by_label("E-mail").fill(email)
    owner.get_by_label("Role").select_option("driver")
    with owner.expect_navigation():
        owner.get_by_role("button", name="Create an invitation link").click()
    link = owner.locator("#invitation-link").input_value()
    assert "/invite/" in link
    # Without a share sheet (a desktop Chromium), the copy button is offered instead.
    expect(owner.get_by_role("button", name="Copy the link")).to_be_visible()
    assert owner.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH

    newcomer = first_page(new_context())
    newcomer.goto(link)
    expect(newcomer.get_by_text("Hello Noor Nouveau")).to_be_visible()
    assert newcomer.locator("#f-email").input_value() == email
    newcomer.locator("#f-password").fill("a long walk to the market")
    with newcomer.expect_navigation():
        newcomer.get_by_role("button", name="Join and sign in").click()
    assert urlparse(newcomer.url).path == "/deliveries/today"  # a driver's home is their run
    assert newcomer.locator("body").get_attribute("data-signed-in") == "true"
    newcomer.goto("/me")
    expect(newcomer.locator("#main")).to_contain_text(email)
    assert newcomer.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH

    newcomer.goto(link)  # the link works once
    expect(newcomer.get_by_text("already used")).to_be_visible()
    owner.goto("/team")
    expect(owner.locator("[data-status=used]", has_text="Noor Nouveau")).to_be_visible()
