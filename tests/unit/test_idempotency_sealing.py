"""A stored answer opens only with the idempotency key that sealed it, for the row it was sealed for."""

from __future__ import annotations

import pytest

from backend.idempotency import sealing

HEADERS = [["location", "/t/the-token?placed=1"]]


def _sealed(key: str = "k-1", principal: str = "user:1") -> bytes:
    secret = sealing.sealing_key(principal, key)
    return sealing.seal(secret, (principal, sealing.lookup(key)), HEADERS, b"body /t/the-token")


def test_the_same_key_opens_its_answer_headers_and_body() -> None:
    sealed = _sealed()
    assert b"the-token" not in sealed
    secret = sealing.sealing_key("user:1", "k-1")
    assert sealing.open_sealed(secret, ("user:1", sealing.lookup("k-1")), sealed) == (
        HEADERS,
        b"body /t/the-token",
    )


@pytest.mark.parametrize(
    ("principal", "key", "bound_to"),
    [
        ("user:1", "k-2", ("user:1", sealing.lookup("k-1"))),  # another key
        ("user:2", "k-1", ("user:2", sealing.lookup("k-1"))),  # the same key, someone else's
        ("user:1", "k-1", ("user:2", sealing.lookup("k-1"))),  # moved to another row
    ],
)
def test_nothing_else_opens_it(principal: str, key: str, bound_to: tuple[str, str]) -> None:
    with pytest.raises(sealing.Unreadable):
        sealing.open_sealed(sealing.sealing_key(principal, key), bound_to, _sealed())


def test_the_table_keeps_neither_the_key_nor_anything_that_opens_the_answer() -> None:
    lookup = sealing.lookup("k-1")
    assert "k-1" not in lookup
    assert lookup != sealing.sealing_key("user:1", "k-1").hex()
    assert sealing.seal(sealing.sealing_key("user:1", "k-1"), ("user:1", lookup), [], b"x") != _sealed()
