"""The interface in French: text, and euro amounts written the French way."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_the_french_interface_shows_french_text_and_french_euro_amounts(
    french_page: Page, server: str
) -> None:
    sign_in(french_page, "owner@demo.test")
    expect(french_page.locator("nav.bottom-nav")).to_contain_text("Accueil")
    french_page.goto(f"{server}/settings")
    expect(french_page.locator("h1")).to_have_text("Paramètres de la boutique")
    preview = french_page.get_by_test_id("price-preview")
    # 1234.50 EUR in French: narrow no-break space between thousands, decimal comma, euro after.
    expect(preview).to_contain_text("1\u202f234,50\u00a0€")
    expect(french_page.locator("html")).to_have_attribute("lang", "fr")
