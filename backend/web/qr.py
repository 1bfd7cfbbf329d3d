"""QR codes for pages: what a phone's camera reads off another screen (a tracking link held up to
a customer, a pickup code shown at the counter)."""

from __future__ import annotations

import segno


def qr_data_uri(text: str, scale: int = 5) -> str:
    """A QR code of ``text`` as an image address the page can show (``img-src data:`` is allowed
    by the pages' Content-Security-Policy; no script draws it)."""
    return str(segno.make(text, error="m").svg_data_uri(scale=scale, border=2))
