"""The delivery domain in the app: the Deliveries tab, the driver's "Today's run", proofs, the
runs API; run events go to the team and the run's driver and redraw the run's page."""

from __future__ import annotations

from backend.delivery import events
from backend.delivery.web import api, driver, live, pages, proof_pages
from backend.orders.web.dependencies import ORDER_PANELS
from backend.web import assets
from backend.web.plugin import DomainPlugin, sentences

PLUGIN = DomainPlugin(
    name="delivery",
    api=api.ROUTES,
    pages=[*pages.ROUTES, *driver.ROUTES, *proof_pages.ROUTES],
    # The driver's "Today's run" is the home's entry ("/" opens it for a driver).
    # Reached from the Menu page (dashboard/more.html): a seventh tab is too narrow on a 320 px phone.
    topic_rules=live.TOPIC_RULES,
    fragments=live.FRAGMENTS,
    quiet=live.QUIET,
    describers=sentences(events.SENTENCES),
    template_globals={"map_assets": assets.map_assets},
    extends={ORDER_PANELS: ("delivery/_order_slot.html",)},  # the drop-off's proof or failure
)
