"""Which topics, in which languages, have a socket listening in this process.

The tailer renders an event's fragment once per topic and language: with nobody listening, that
rendering (the largest cost of a busy order flow) is skipped. A socket that subscribes later
replays what it missed from the event log, so nothing is lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager


class Listeners:
    def __init__(self) -> None:
        # By topic: the tailer asks for each event's topics, and with a thousand tracking pages
        # open, scanning every (topic, language) pair for each was a tenth of a millisecond.
        self._count: dict[str, Counter[str]] = {}

    @asynccontextmanager
    async def listening(self, topics: Iterable[str], locale: str) -> AsyncIterator[None]:
        topics = list(topics)
        self.add(topics, locale)
        try:
            yield
        finally:
            self.remove(topics, locale)

    def add(self, topics: Iterable[str], locale: str) -> None:
        for topic in topics:
            self._count.setdefault(topic, Counter())[locale] += 1

    def remove(self, topics: Iterable[str], locale: str) -> None:
        for topic in topics:
            languages = self._count.get(topic)
            if languages is None:
                continue
            languages[locale] -= 1
            if languages[locale] <= 0:
                del languages[locale]
            if not languages:
                del self._count[topic]

    def locales(self, topic: str) -> list[str]:
        """The languages some socket hears ``topic`` in, in a stable order."""
        return sorted(self._count.get(topic, ()))
