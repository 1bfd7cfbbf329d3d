"""Scanning with the phone's camera (390×844): the picker opens the camera on a batch, the camera
reads a barcode and the pick is recorded as a typed scan would be, online and with no signal; the
camera is off again once it has read a code and once the picker closes it; and it still opens
once a refusal from the server is shown in place of the list.

Chromium films its own test pattern (a fake camera) and has no ``BarcodeDetector`` on Linux: the
page is given one that "reads" the code the test names, and only off a frame of the camera
actually playing in the page's video. Everything else (the camera's stream, the page's scanner,
the scan form and its queue) is the real thing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import page_audit as audit
from tests.browser.conftest import ContextFactory, wait_for
from tests.browser.test_app_shell import eventually
from tests.browser.test_fulfilment_offline import (
    PHONE,
    _accepted,
    _cancel,
    _products,
    _state,
    picker_on_the_batch,
)
from tests.browser.test_offline_catalog import OUTBOX_EMPTY
from tests.conftest import _run

pytestmark = pytest.mark.browser

# The detector reads, once, the code put in sessionStorage under "cameraSees" (it outlives a
# reload, as the camera's view would), and only off a video showing the camera's frames. The
# camera's tracks are kept on the window to see that the page stops them.
BARCODE_DETECTOR = """
(() => {
  window.cameraTracks = []
  window.framesLooked = 0
  if (navigator.mediaDevices) {
    const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices)
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await open(constraints)
      window.cameraTracks.push(...stream.getTracks())
      return stream
    }
  }
  window.BarcodeDetector = class BarcodeDetector {
    static async getSupportedFormats () { return ['ean_13', 'code_128', 'qr_code'] }
    async detect (source) {
      const filming = source instanceof HTMLVideoElement && source.srcObject instanceof MediaStream &&
        source.srcObject.active && source.videoWidth > 0
      if (!filming) return []
      window.framesLooked += 1
      const code = sessionStorage.getItem('cameraSees')
      if (!code) return []
      sessionStorage.removeItem('cameraSees')
      return [{ rawValue: code, format: 'ean_13', boundingBox: new DOMRect(0, 0, 1, 1), cornerPoints: [] }]
    }
  }
})()
"""
# On: one camera filming (the last one opened), never two.
CAMERA_ON = (
    "window.cameraTracks.at(-1)?.readyState === 'live'"
    " && window.cameraTracks.filter((track) => track.readyState === 'live').length === 1"
)
CAMERA_OFF = (
    "window.cameraTracks.length > 0 && window.cameraTracks.every((track) => track.readyState === 'ended')"
)


def shown_to_the_camera(page: Page, code: str) -> None:
    page.evaluate("code => sessionStorage.setItem('cameraSees', code)", code)


def test_a_barcode_read_by_the_camera_is_picked_as_a_typed_scan_and_the_camera_is_stopped(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    _, (sku, barcode) = _run(_products(server_data_dir))
    assert barcode
    order = _run(_accepted(server_data_dir, [(sku, 2)]))
    context = new_context(camera=True)
    context.add_init_script(BARCODE_DETECTOR)
    picker_on_the_batch(context, [order])
    page = context.pages[0]
    page.set_viewport_size(PHONE)
    page.reload()  # the batch page as it opens on a phone with a camera
    scans: list[str] = []
    context.on(
        "request", lambda r: r.method == "POST" and r.url.endswith("/scan") and scans.append(r.post_data)
    )
    row = page.locator(f"[data-pick-row][data-barcode='{barcode}']")
    camera_button = page.locator("#scan-form [data-camera]")
    view = page.locator("[data-camera-view]")

    # Opened, the camera films into the page and is looked at; closed, it is off and not looked at.
    expect(camera_button).to_have_text("Use the camera")
    camera_button.click()
    expect(view).to_be_visible()
    expect(camera_button).to_have_text("Close the camera")
    wait_for(page, CAMERA_ON)
    wait_for(page, "window.framesLooked >= 2")
    audit.screenshot(page, "staff", "390x844", "fulfilment-batch-camera")
    assert audit.layout_faults(page) == []
    camera_button.click()
    expect(view).to_be_hidden()
    expect(camera_button).to_have_text("Use the camera")
    wait_for(page, CAMERA_OFF)
    looked = page.evaluate("window.framesLooked")
    page.wait_for_timeout(800)  # the scanner looks every 250 ms while open
    assert page.evaluate("window.framesLooked") == looked
    assert scans == []

    # The camera reads the barcode: the scan form is sent with it, and the line counts it.
    shown_to_the_camera(page, barcode)
    with page.expect_navigation():  # the server's answer to the scan, as after a typed one
        camera_button.click()
    assert len(scans) == 1
    assert f"code={barcode}" in scans[0]
    assert "quantity=1" in scans[0]
    expect(row.locator("[data-picked-count]")).to_have_text("1")
    assert _run(_state(server_data_dir, order.order_id))[2] == [1]

    # With no signal: read, counted on the phone, queued, and the camera is off once it has read.
    context.set_offline(True)
    page.reload()
    shown_to_the_camera(page, barcode)
    camera_button.click()
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "1")
    expect(row).to_have_class(re.compile(r"\bpick-row--done\b"))
    expect(row.locator("[data-picked-count]")).to_have_text("2")
    expect(view).to_be_hidden()
    wait_for(page, CAMERA_OFF)
    context.set_offline(False)
    eventually(page, OUTBOX_EMPTY, seconds=30)
    assert _run(_state(server_data_dir, order.order_id))[2] == [2]


def test_the_camera_still_opens_once_a_refusal_is_shown_in_place_of_the_list(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    _, (sku, barcode) = _run(_products(server_data_dir))
    order = _run(_accepted(server_data_dir, [(sku, 1)]))
    context = new_context(camera=True)
    context.add_init_script(BARCODE_DETECTOR)
    picker_on_the_batch(context, [order])
    page = context.pages[0]
    page.set_viewport_size(PHONE)
    context.set_offline(True)
    page.reload()
    shown_to_the_camera(page, barcode)
    page.locator("#scan-form [data-camera]").click()
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "1")
    _run(_cancel(server_data_dir, order.order_id))

    context.set_offline(False)

    # The server refuses the queued scan; its answer, the batch as it is, replaces the list.
    expect(page.locator("#outbox")).to_have_attribute("data-attention", "1", timeout=30_000)
    page.locator("#outbox summary").click()
    page.locator(".outbox__item").get_by_role("button").first.click()
    expect(page.locator("[data-refusal]")).to_contain_text("no longer being picked")
    camera_button = page.locator("#scan-form [data-camera]")
    expect(camera_button).to_have_text("Use the camera")
    camera_button.click()
    expect(page.locator("[data-camera-view]")).to_be_visible()
    wait_for(page, CAMERA_ON)
    # Open once its picture plays (a tap while it is still starting is ignored, on purpose).
    expect(camera_button).to_have_text("Close the camera")
    camera_button.click()
    wait_for(page, CAMERA_OFF)
