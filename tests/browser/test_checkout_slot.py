"""The delivery slot's two times on the checkout: side by side on a 390 px phone, one under the
other on a 320 px one, where side by side each would cut its "10:00 AM"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ContextFactory, first_page

pytestmark = pytest.mark.browser


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box


def _checkout(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 700})
    page.goto("/shop")
    page.locator("button[form=add-to-cart]").first.click()
    expect(page.locator("#cart-bar")).to_contain_text("1 item")
    page.goto("/shop/checkout")
    page.get_by_label("Delivery", exact=True).check()
    page.locator("#f-slot_from").fill("10:00")


@pytest.mark.parametrize("width", [390, 320])
def test_the_slot_times_are_whole_on_a_small_phone(new_context: ContextFactory, width: int) -> None:
    page = first_page(new_context())
    _checkout(page, width)
    day, start, end = (_box(page, f"#f-slot_{name}") for name in ("date", "from", "to"))
    assert min(start["width"], end["width"]) >= 144  # "10:00 AM", the clock and the padding
    if width == 320:
        assert end["y"] >= start["y"] + start["height"]  # one under the other
        assert start["width"] == pytest.approx(day["width"], abs=1)
    else:
        assert end["y"] == pytest.approx(start["y"], abs=1)  # side by side
    assert page.evaluate("document.documentElement.scrollWidth") <= width
