"""Languages: gettext catalogs compiled from the .po files at start-up, chosen per request.

The current locale lives in a context variable set by the request middleware, so templates,
services' messages and formatting helpers all agree without passing it around.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from babel.units import format_unit

SUPPORTED_LOCALES = ("en", "fr")
DEFAULT_LOCALE = "en"
LOCALE_NAMES = {"en": "English", "fr": "Français"}
LOCALE_DIR = Path(__file__).resolve().parents[2] / "frontend" / "locale"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)
# Times are stored in UTC and shown in the shop's zone.
current_timezone: ContextVar[str] = ContextVar("current_timezone", default="UTC")


@cache
def translations(locale: str) -> Translations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return Translations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(message: str, **variables: object) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def N_(message: str) -> str:  # noqa: N802 - the conventional marker name for extraction
    """Mark a string for translation where it is defined; translate it where it is shown."""
    return message


def _parse_accept_language(header: str) -> list[tuple[float, str]]:
    choices = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            choices.append((quality, tag.strip().lower()))
    return sorted(choices, key=lambda choice: -choice[0])


def choose_locale(user_locale: str | None, accept_language: str | None) -> str:
    """The user's own setting first, then the browser's preferences, then English."""
    if user_locale in SUPPORTED_LOCALES:
        return user_locale
    return _browser_locale(accept_language or "")


@lru_cache(maxsize=1024)  # a device sends the same header with every request: parsed once
def _browser_locale(accept_language: str) -> str:
    for quality, tag in _parse_accept_language(accept_language):
        primary = tag.split("-")[0]
        if quality > 0 and primary in SUPPORTED_LOCALES:
            return primary
    return DEFAULT_LOCALE


@cache
def format_bytes(size: int) -> str:
    """A size as people read it, in their language: "2 MB", "9,8 ko"."""
    megabytes = size / 1024 / 1024
    unit, amount = ("digital-megabyte", megabytes) if megabytes >= 1 else ("digital-kilobyte", size / 1024)
    locale = babel_locale(current_locale.get())
    return format_unit(amount, unit, length="short", format="#,##0.#", locale=locale)


def babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)
