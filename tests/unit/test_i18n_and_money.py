from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.i18n.translation import choose_locale, current_locale, gettext
from backend.kernel.moments import format_duration, format_when
from backend.kernel.money import Money, format_money
from backend.web.templating import _template_gettext


@pytest.mark.parametrize(
    ("user_locale", "header", "expected"),
    [
        ("fr", "en-GB,en;q=0.9", "fr"),
        (None, "fr-CA,fr;q=0.9,en;q=0.5", "fr"),
        (None, "de-DE,de;q=0.9,fr;q=0.4", "fr"),
        (None, "de-DE", "en"),
        (None, "fr;q=0, en", "en"),
        (None, "garbage;;q=x,,", "en"),
        (None, None, "en"),
        ("xx", "fr", "fr"),
    ],
)
def test_the_locale_is_the_users_then_the_browsers_then_english(
    user_locale: str | None, header: str | None, expected: str
) -> None:
    assert choose_locale(user_locale, header) == expected


def test_euros_are_formatted_the_french_way_in_french() -> None:
    assert format_money(123450, "EUR", "fr") == "1\u202f234,50\u00a0€"
    assert format_money(123450, "EUR", "en") == "€1,234.50"


def test_currencies_without_minor_units_are_not_divided() -> None:
    assert format_money(1500, "JPY", "en") == "¥1,500"


def test_money_refuses_floats_and_mixed_currencies() -> None:
    with pytest.raises(TypeError):
        Money(12.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot add"):
        _ = Money(1, "EUR") + Money(1, "USD")
    assert (Money(150, "EUR") + Money(50, "EUR")).decimal == 2


def test_dates_are_shown_in_the_shops_zone_and_language() -> None:
    token = current_locale.set("fr")
    try:
        shown = format_when(datetime(2026, 7, 14, 10, 0, tzinfo=UTC), timezone="Europe/Paris")
    finally:
        current_locale.reset(token)
    assert "juil." in shown
    assert "12:00" in shown


@pytest.mark.parametrize(
    ("locale", "shown"), [("en", "Jul 14, 2026, 12:00\u202fPM"), ("fr", "14 juil. 2026, 12:00")]
)
def test_every_moment_reads_in_one_format_per_language_without_seconds(locale: str, shown: str) -> None:
    token = current_locale.set(locale)
    try:
        assert format_when(datetime(2026, 7, 14, 10, 0, 42, tzinfo=UTC), timezone="Europe/Paris") == shown
    finally:
        current_locale.reset(token)


def test_moments_of_one_minute_read_alike_yet_each_zone_and_language_its_own() -> None:
    moment = datetime(2026, 7, 14, 22, 59, 5, tzinfo=UTC)
    token = current_locale.set("fr")
    try:
        paris = format_when(moment, timezone="Europe/Paris")
        assert format_when(moment.replace(second=59), timezone="Europe/Paris") == paris
        assert format_when(moment, timezone="UTC") == "14 juil. 2026, 22:59"
        assert format_when(moment + timedelta(minutes=1), timezone="Europe/Paris") == "15 juil. 2026, 01:00"
    finally:
        current_locale.reset(token)
    assert paris == "15 juil. 2026, 00:59"
    assert format_when(moment, timezone="Europe/Paris") == "Jul 15, 2026, 12:59\u202fAM"


@pytest.mark.parametrize(
    ("waited", "english", "french"),
    [
        (timedelta(0), "0 minutes", "0 minute"),
        (timedelta(seconds=59), "0 minutes", "0 minute"),
        (timedelta(minutes=8, seconds=50), "8 minutes", "8 minutes"),
        (timedelta(minutes=90), "90 minutes", "90 minutes"),
        (timedelta(minutes=2135), "36 hours", "36\xa0heures"),
        (timedelta(days=2, hours=3), "2 days", "2\xa0jours"),
        (timedelta(days=12), "12 days", "12\xa0jours"),
        (timedelta(days=20), "3 weeks", "3\xa0semaines"),
    ],
)
def test_waits_are_said_in_the_largest_unit_there_are_two_of(
    waited: timedelta, english: str, french: str
) -> None:
    said = {}
    for locale in ("en", "fr"):
        token = current_locale.set(locale)
        try:
            said[locale] = format_duration(waited)
        finally:
            current_locale.reset(token)
    assert said == {"en": english, "fr": french}


def test_french_is_translated() -> None:
    token = current_locale.set("fr")
    try:
        assert gettext("Sign in") == "Se connecter"
    finally:
        current_locale.reset(token)


def test_template_text_is_translated_escaped_and_formatted_as_the_i18n_extension_does() -> None:
    token = current_locale.set("fr")
    try:
        assert _template_gettext("Add") == "Ajouter"
        assert _template_gettext("Add") is _template_gettext("Add")  # kept, not rebuilt each call
        assert _template_gettext("Add %(name)s to the cart", name="<b>") == "Ajouter &lt;b&gt; au panier"
        assert _template_gettext("100%% sure") == "100% sure"  # no variables, yet still formatted
    finally:
        current_locale.reset(token)
