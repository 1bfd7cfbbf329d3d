"""Adjusting stock on a phone: the product is found by name as one types, or scanned."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in, wait_for

pytestmark = pytest.mark.browser

PENNE_BARCODE = "3760123400015"


def _height(page: Page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["height"]


def test_a_name_suggests_products_and_a_scanned_barcode_moves_on_to_the_quantity(page: Page) -> None:
    sign_in(page, "staff@demo.test")
    page.goto("/stock/adjust")
    page.locator("#f-product").press_sequentially("penne", delay=30)
    choice = page.locator("[data-pick]", has_text="Penne rigate bio 500 g")
    expect(choice).to_be_visible()
    assert _height(page, "[data-pick]") >= 44
    assert _height(page, "#f-product") >= 44
    assert _height(page, "button[value=find]") >= 44
    choice.click()
    expect(page.locator("[data-exact]")).to_contain_text("SAL-PENNE-500")
    wait_for(page, "document.activeElement.id === 'f-delta'")
    assert page.locator("#f-product").input_value() == "SAL-PENNE-500"

    page.locator("#f-product").fill("")
    page.locator("#f-product").press_sequentially(PENNE_BARCODE, delay=5)  # a scanner types fast
    page.locator("#f-product").press("Enter")  # and ends with Enter: that finds, it does not send
    expect(page.locator("[data-exact]")).to_contain_text("Penne rigate bio 500 g")
    wait_for(page, "document.activeElement.id === 'f-delta'")
    assert page.url.endswith("/stock/adjust")
    page.keyboard.type("2")
    page.locator("#f-reason").fill("Found")
    with page.expect_navigation():
        page.get_by_role("button", name="Adjust stock").click()
    expect(page.get_by_text("Stock adjusted.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
