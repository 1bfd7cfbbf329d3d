"""A stored result opens only with the idempotency key that sealed it, for the row it was sealed for."""

from __future__ import annotations

import pytest

from backend.idempotency import sealing

RESULT = b'{"id": 7, "tracking_token": "the-token"}'


def _sealed(key: str = "k-1", principal: str = "user:1") -> bytes:
    secret = sealing.sealing_key(principal, key)
    return sealing.seal(secret, (principal, sealing.lookup(key)), RESULT)


def test_the_same_key_opens_its_result() -> None:
    sealed = _sealed()
    assert b"the-token" not in sealed
    secret = sealing.sealing_key("user:1", "k-1")
    assert sealing.open_sealed(secret, ("user:1", sealing.lookup("k-1")), sealed) == RESULT


def test_an_http_answer_sealed_by_an_earlier_version_opens_as_outdated() -> None:
    secret, bound_to = sealing.sealing_key("user:1", "k-1"), ("user:1", sealing.lookup("k-1"))
    old = sealing.seal_http_answer(secret, bound_to, [["location", "/t/x"]], b"")
    with pytest.raises(sealing.Outdated):
        sealing.open_sealed(secret, bound_to, old)


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


def test_the_table_keeps_neither_the_key_nor_anything_that_opens_the_result() -> None:
    lookup = sealing.lookup("k-1")
    assert "k-1" not in lookup
    assert lookup != sealing.sealing_key("user:1", "k-1").hex()
    assert sealing.seal(sealing.sealing_key("user:1", "k-1"), ("user:1", lookup), b"x") != _sealed()
