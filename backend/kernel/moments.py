"""Dates and durations as people read them: one date-and-time format per language, in the shop's
time zone (or the viewer's), and waits said in the largest unit that still reads naturally."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_timedelta

from backend.i18n.translation import babel_locale, current_locale, current_timezone

# A unit is used once there are two of it: "90 minutes", "35 hours", "12 days", then "2 weeks".
DURATION_THRESHOLD = 2


@cache
def _pattern(locale: Locale) -> str:
    """The language's medium date with its short time ("5 Dec 2026, 11:00", "5 déc. 2026, 11:00")."""
    combined = str(locale.datetime_formats["medium"])
    date, time = locale.date_formats["medium"].pattern, locale.time_formats["short"].pattern
    return combined.replace("{1}", date).replace("{0}", time)


def format_when(moment: datetime, timezone: str | None = None) -> str:
    """The one way the app shows a moment: in the shop's time zone (or ``timezone``) and language."""
    # The format stops at the minute, so every moment of a minute reads the same: each minute is
    # formatted once per zone and language (Babel takes 0.1-0.2 ms a call; a tracking page has three).
    minute = moment.replace(second=0, microsecond=0)
    return _format_minute(minute, timezone or current_timezone.get(), current_locale.get())


@lru_cache(maxsize=4096)
def _format_minute(minute: datetime, timezone: str, language: str) -> str:
    locale = babel_locale(language)
    return format_datetime(minute, _pattern(locale), tzinfo=ZoneInfo(timezone), locale=locale)


def format_duration(delta: timedelta) -> str:
    """How long, in words: "35 hours", "2 days", "8 minutes", in whole minutes counted as a clock
    does (59 seconds are still "0 minutes")."""
    minutes = timedelta(minutes=max(delta, timedelta(0)) // timedelta(minutes=1))
    locale = babel_locale(current_locale.get())
    return format_timedelta(minutes, granularity="minute", threshold=DURATION_THRESHOLD, locale=locale)
