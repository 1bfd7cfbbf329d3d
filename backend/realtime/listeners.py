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
        self._count: Counter[tuple[str, str]] = Counter()

    @asynccontextmanager
    async def listening(self, topics: Iterable[str], locale: str) -> AsyncIterator[None]:
        self.add(topics, locale)
        try:
            yield
        finally:
            self.remove(topics, locale)

    def add(self, topics: Iterable[str], locale: str) -> None:
        self._count.update((topic, locale) for topic in topics)

    def remove(self, topics: Iterable[str], locale: str) -> None:
        keys = [(topic, locale) for topic in topics]
        self._count.subtract(keys)
        for key in keys:
            if self._count[key] <= 0:
                del self._count[key]

    def locales(self, topic: str) -> list[str]:
        """The languages some socket hears ``topic`` in, in a stable order."""
        return sorted(locale for (listened, locale) in self._count if listened == topic)
