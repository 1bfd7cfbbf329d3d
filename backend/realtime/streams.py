"""A live socket's stream of fragments: what it missed, then what happens, once each and in order.
Shared by every live socket of the app (a signed-in browser's ``/ws``, a tracking page's own).

A stream may change its topics while it serves (``follow``): a tracking page joins its order's
delivery run once the order is on one, and leaves it once its stop is done; a customer's own socket
does the same for each of their orders (``along``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from litestar import WebSocket
from litestar.channels import ChannelsPlugin, Subscriber
from litestar.exceptions import WebSocketDisconnect

from backend.i18n.translation import current_locale
from backend.kernel.events import START, events_after, position, position_of
from backend.kernel.settings import Settings
from backend.realtime import rules
from backend.realtime.render import actor_names, render_cursor, render_for, render_reload
from backend.realtime.tailer import Tailer

CLOSE_FORBIDDEN_ORIGIN = 4403

# Asked before each live message is passed on: the topics the socket hears from then on.
Follow = Callable[[], Awaitable[set[str]]]


def along(topics: set[str], follows: Sequence[Follow]) -> Follow | None:
    """``topics`` with what each of ``follows`` adds as it is then; None without any, so that such
    a socket reads nothing more per message."""
    if not follows:
        return None

    async def topics_now() -> set[str]:
        return topics.union(*[await follow() for follow in follows])

    return topics_now


@functools.lru_cache(maxsize=256)
def _decoded(raw: str | bytes) -> dict[str, Any]:
    """A published message, decoded once for all its sockets: every subscriber of a topic is
    handed the very same object, so the others find it here (a queue's hundred sockets decoded
    each change a hundred times). Read only: it is shared."""
    return json.loads(raw)


class LiveStream:
    """One socket: replays what it missed, then forwards live events once each, in order."""

    def __init__(
        self,
        socket: WebSocket[Any, Any, Any],
        tailer: Tailer,
        topics: set[str],
        follow: Follow | None = None,
    ) -> None:
        self.socket = socket
        self.topics = topics
        self.follow = follow
        self.locale = current_locale.get()
        self.last_sent = 0  # the id the page resumes after
        self.position = START  # where that is in the log's order (``backend.kernel.events``)
        self.db = tailer.db
        self.site = tailer.site  # the app's own rules and templates
        self.listeners = tailer.listeners
        self._channels: ChannelsPlugin | None = None
        self._subscriber: Subscriber | None = None

    @contextlib.asynccontextmanager
    async def subscribed(self, channels: ChannelsPlugin) -> AsyncIterator[Subscriber]:
        """Subscribed to the stream's topics, and counted among their listeners (so the tailer
        renders them), until the block ends, whatever topics it hears by then."""
        self._channels = channels
        self.listeners.add(self.topics, self.locale)
        try:
            self._subscriber = await channels.subscribe(self.topics)
            yield self._subscriber
        finally:
            if self._subscriber is not None:
                await channels.unsubscribe(self._subscriber, self.topics)
            self.listeners.remove(self.topics, self.locale)

    async def _hear(self, topics: set[str]) -> None:
        """From now on, ``topics``. The new subscription starts before the old one ends, so nothing
        published meanwhile is lost; what both receive is forwarded once (its position)."""
        if self._channels is None or self._subscriber is None:
            raise RuntimeError("a stream changes its topics only while subscribed")
        old, old_topics = self._subscriber, self.topics
        self.listeners.add(topics, self.locale)  # first: what is published from now on is rendered
        try:
            self._subscriber = await self._channels.subscribe(topics)
        except BaseException:
            self.listeners.remove(topics, self.locale)
            raise
        self.topics = topics
        try:
            await self._channels.unsubscribe(old, old_topics)  # ends ``old``'s stream after what it holds
        finally:
            self.listeners.remove(old_topics, self.locale)

    async def replay(self, since: int) -> None:
        async with self.db.read() as session:
            after = await position_of(session, since)
            events = [] if after is None else await events_after(session, after, limit=rules.MAX_REPLAY + 1)
            names = await actor_names(session, events)
        if after is not None:
            self.last_sent, self.position = since, after
        if after is None or len(events) > rules.MAX_REPLAY:  # an unknown event, or too much missed
            await self.socket.send_text(render_reload(self.site))
            return
        for event in events:
            shared = self.site.live.topics_for(event) & self.topics
            if shared:
                await self.socket.send_text(render_for(self.site, event, min(shared), names, self.locale))
            self.last_sent, self.position = event.id, position(event)
        await self.socket.send_text(render_cursor(self.site, self.last_sent))

    async def forward(self, subscriber: Subscriber) -> None:
        while True:
            async for raw in subscriber.iter_events():
                await self._pass_on(_decoded(raw))
            if self._subscriber in (None, subscriber):
                return  # unsubscribed: the socket is closing
            subscriber = self._subscriber  # the topics changed: on with the new subscription

    async def _pass_on(self, message: dict[str, Any]) -> None:
        at = tuple(message["position"])
        if at <= self.position:
            return  # already replayed, or heard on a second topic
        if self.follow is not None:
            wanted = await self.follow()
            if wanted != self.topics:
                await self._hear(wanted)
            if message["topic"] not in wanted:
                return  # news of a topic the socket has just left
        self.last_sent, self.position = message["id"], at
        await self.socket.send_text(message["html"][self.locale])

    async def until_closed(self) -> None:
        """The page sends nothing we act on (it resumes with ``?since=`` on reconnect); reading is
        how a closed socket is noticed."""
        while True:
            await self.socket.receive_text()

    async def heartbeat(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            await self.socket.send_text(render_cursor(self.site, self.last_sent))

    async def serve(self, subscriber: Subscriber, heartbeat_every: float | None) -> None:
        """Forward live events until the page goes away (or the socket fails)."""
        tasks = [
            asyncio.create_task(self.forward(subscriber)),
            asyncio.create_task(self.until_closed()),
        ]
        if heartbeat_every is not None:
            tasks.append(asyncio.create_task(self.heartbeat(heartbeat_every)))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        except WebSocketDisconnect:
            pass
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                    await task


async def refuse_other_sites(socket: WebSocket[Any, Any, Any], settings: Settings) -> bool:
    """Close a handshake from another site's page; True when it was closed."""
    if rules.is_allowed_origin(
        socket.headers.get("origin"), socket.headers.get("host"), socket.url.scheme, settings.base_url
    ):
        return False
    await socket.close(code=CLOSE_FORBIDDEN_ORIGIN, reason="origin not allowed")
    return True
