"""The shop's product cards, each rendered once per product version, availability and language.

A card depends on nothing else (the visitor's CSRF token is in the page's one add-to-cart form),
so a page of the shop joins cards already rendered instead of rendering fifty of them each time.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment
from markupsafe import Markup

from backend.catalog.service import ProductView
from backend.i18n.translation import N_, current_locale
from backend.storefront.offer import Availability, OfferItem
from backend.web.templating import render

AVAILABILITY_LABELS = LABELS = {
    Availability.IN_STOCK: N_("In stock"),
    Availability.FEW_LEFT: N_("Only a few left"),
    Availability.TO_ORDER: N_("Available to order"),
    Availability.SOLD_OUT: N_("Sold out"),
}


@lru_cache(maxsize=4096)
def _card(templates: Environment, product: ProductView, availability: Availability, locale: str) -> Markup:
    html = render(
        templates, "storefront/_card.html", product=product, availability=availability, labels=LABELS
    )
    return Markup(html)  # noqa: S704 - our own template, escaped as it rendered


def card(templates: Environment, item: OfferItem) -> Markup:
    """Rendered by the app's own templates (``app.state.site.templates``)."""
    return _card(templates, item.product, item.availability, current_locale.get())
