from __future__ import annotations

from backend.realtime.listeners import Listeners


async def test_a_topic_is_heard_in_the_languages_of_its_open_sockets_only() -> None:
    listeners = Listeners()
    assert listeners.locales("orders") == []
    async with listeners.listening({"orders", "staff"}, "fr"):
        async with listeners.listening({"orders"}, "en"), listeners.listening({"orders"}, "fr"):
            assert listeners.locales("orders") == ["en", "fr"]
        assert listeners.locales("orders") == ["fr"]
        assert listeners.locales("staff") == ["fr"]
        assert listeners.locales("user:7") == []
    assert listeners.locales("orders") == []
    assert listeners.locales("staff") == []


async def test_a_socket_that_fails_stops_counting() -> None:
    listeners = Listeners()
    try:
        async with listeners.listening({"orders"}, "en"):
            raise ConnectionError
    except ConnectionError:
        pass
    assert listeners.locales("orders") == []
