"""A tracking page hears its own order's changes, over a socket opened with the tracking token.

The shopper's page holds the token, not an account: the socket is authorised by the token alone
and hears one topic, ``track:<order id>``. What it hears is only that the order changed
(``storefront/_live_tracking.html``); the page then asks for itself again and shows what a
customer may read (``tracking.STEP_LABELS``), never the shop's notes or who did what.
"""

from __future__ import annotations

from typing import Any

from litestar import WebSocket, websocket
from litestar.params import FromPath

from backend.auth.web.guards import PUBLIC
from backend.kernel.events import Event, subject_id
from backend.realtime.streams import LiveStream, refuse_other_sites
from backend.realtime.web.dependencies import LiveTailer
from backend.storefront import tracking
from backend.web.dependencies import AppDb, AppSettings, Channels

TRACK_PREFIX = "track:"
CLOSE_UNKNOWN_LINK = 4404


def track_topic(order_id: int) -> str:
    return f"{TRACK_PREFIX}{order_id}"


def _to_its_tracking_page(event: Event) -> set[str]:
    order_id = subject_id(event)
    if event.type not in tracking.STEP_LABELS or order_id is None:
        return set()  # e.g. a file of marketplace orders imported: no customer's step
    return {track_topic(order_id)}


TOPIC_RULE = ("order.*", _to_its_tracking_page)
TOPIC_TEMPLATE = (TRACK_PREFIX, "storefront/_live_tracking.html")


@websocket("/t/{token:str}/live", opt=PUBLIC)
async def tracking_updates(
    socket: WebSocket[Any, Any, Any],
    *,
    db: AppDb,
    settings: AppSettings,
    tailer: LiveTailer,
    channels: Channels,
    token: FromPath[str],
) -> None:
    if await refuse_other_sites(socket, settings):
        return
    async with db.read() as session:
        order_id = await tracking.tracked_order_id(session, token)
    if order_id is None:
        await socket.close(code=CLOSE_UNKNOWN_LINK, reason="no order has this tracking link")
        return
    stream = LiveStream(socket, tailer, {track_topic(order_id)})
    await socket.accept()
    listening = tailer.listeners.listening(stream.topics, stream.locale)
    async with listening, channels.start_subscription(stream.topics) as subscriber:
        # No replay: the page asks for itself again whenever its socket (re)opens.
        await stream.serve(subscriber, heartbeat_every=None)


ROUTES = [tracking_updates]
