"""An element's attributes as a browser parses them, for tests that look at a page's markup."""

from __future__ import annotations

from html.parser import HTMLParser


class _Finder(HTMLParser):
    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.found: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.found is None and dict(attrs).get("id") == self.element_id:
            self.found = dict(attrs)


def attributes(html: str, element_id: str) -> dict[str, str | None]:
    finder = _Finder(element_id)
    finder.feed(html)
    assert finder.found is not None, f"no element #{element_id}"
    return finder.found
