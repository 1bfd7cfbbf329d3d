"""A live socket whose topics follow the data (a tracking page and its order's run): it joins a
topic without losing what is published meanwhile, forwards once what two topics carry, drops what
comes from a topic it has just left, and the tailer renders only the topics still heard."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

from backend.i18n.translation import current_locale
from backend.realtime.listeners import Listeners
from backend.realtime.streams import LiveStream


class _Socket:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(text)

    async def receive_text(self) -> str:
        await asyncio.Event().wait()  # the page never speaks
        return ""


def _message(event_id: int, topic: str) -> str:
    html = {current_locale.get(): f"{event_id}@{topic}"}
    return json.dumps({"id": event_id, "position": [event_id, event_id], "topic": topic, "html": html})


async def _until(condition: Any) -> None:
    async with asyncio.timeout(2):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_stream_joins_and_leaves_topics_as_its_data_says() -> None:
    wanted = {"track:1"}

    async def follow() -> set[str]:
        return set(wanted)

    socket, listeners = _Socket(), Listeners()
    tailer: Any = SimpleNamespace(db=None, site=None, listeners=listeners)
    stream = LiveStream(socket, tailer, {"track:1"}, follow)  # type: ignore[arg-type]
    async with ChannelsPlugin(backend=MemoryChannelsBackend(), arbitrary_channels_allowed=True) as channels:
        async with stream.subscribed(channels) as subscriber:
            serving = asyncio.create_task(stream.serve(subscriber, heartbeat_every=None))
            channels.publish(_message(1, "track-run:7"), "track-run:7")  # not heard yet
            channels.publish(_message(2, "track:1"), "track:1")
            await _until(lambda: len(socket.sent) == 1)

            wanted.add("track-run:7")  # the order goes out on run 7
            channels.publish(_message(3, "track:1"), "track:1")
            await _until(lambda: len(socket.sent) == 2)
            assert listeners.locales("track-run:7") == [current_locale.get()]
            for topic in ("track-run:7", "track:1"):  # one event heard on both: once
                channels.publish(_message(4, topic), topic)
            channels.publish(_message(5, "track-run:7"), "track-run:7")
            await _until(lambda: len(socket.sent) == 4)

            wanted.discard("track-run:7")  # its stop is done
            channels.publish(_message(6, "track-run:7"), "track-run:7")
            channels.publish(_message(7, "track:1"), "track:1")
            await _until(lambda: len(socket.sent) == 5)
            serving.cancel()
        assert listeners.locales("track:1") == []
    assert socket.sent == ["2@track:1", "3@track:1", "4@track-run:7", "5@track-run:7", "7@track:1"]
    assert listeners.locales("track-run:7") == []
