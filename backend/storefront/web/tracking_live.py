"""A tracking page hears its own order's changes, over a socket opened with the tracking token.

The shopper's page holds the token, not an account: the socket is authorised by the token alone
and hears the topic ``track:<order id>``, and ``track-run:<run id>`` while the order waits on a
delivery run (the driver moving, the stops before it done). The run is looked up again before
each message is passed on: a page opened before the order was put on a run joins it when the
order goes out for delivery (its own ``order.out_for_delivery`` is the first it hears of the run),
and leaves it once its stop is done or it is taken off, hearing no other order's run meanwhile.
A signed-in customer's own socket (``/ws``, which "My orders" and the tracking pages reached from
it listen on) follows the runs of all their orders so, and no one else's (``account_following``).
What it hears is only that the order changed
(``storefront/_live_tracking.html``); the page then asks for itself again and shows what a
customer may read (``tracking.STEP_LABELS``), never the shop's notes or who did what.
"""

from __future__ import annotations

from typing import Any

from litestar import WebSocket, websocket
from litestar.datastructures import State
from litestar.params import FromPath

from backend.auth.principal import Principal
from backend.auth.rules import Role
from backend.auth.web.guards import PUBLIC
from backend.kernel.db import Database
from backend.kernel.events import STAFF_TOPIC, Event, subject_id
from backend.realtime.streams import Follow, LiveStream, refuse_other_sites
from backend.realtime.web.dependencies import LiveTailer
from backend.storefront import tracking
from backend.storefront.run_lookups import RunLookups
from backend.storefront.web.dependencies import RunLookupsState
from backend.web.dependencies import AppDb, AppSettings, Channels

TRACK_PREFIX = "track:"
RUN_PREFIX = "track-run:"
CLOSE_UNKNOWN_LINK = 4404


def track_topic(order_id: int) -> str:
    return f"{TRACK_PREFIX}{order_id}"


def _to_its_tracking_page(event: Event) -> set[str]:
    order_id = subject_id(event)
    if (event.type not in tracking.STEP_LABELS and event.type != "order.rated") or order_id is None:
        return set()  # e.g. a file of marketplace orders imported: no customer's step
    return {track_topic(order_id)}


def run_topic(run_id: int) -> str:
    return f"{RUN_PREFIX}{run_id}"


# What of a run changes a waiting customer's page: the run leaving, a stop done before theirs,
# the order of the stops, the driver's position.
RUN_EVENTS = (
    "delivery.run_started",
    "delivery.run_changed",
    "delivery.dropped_off",
    "delivery.failed",
    "delivery.position",
)


def _to_its_run_trackers(event: Event) -> set[str]:
    run_id = subject_id(event) if event.subject.startswith("run:") else None
    if run_id is None:
        return set()
    # A rule that matches an event replaces the default topic: the team hears it as it did.
    return {run_topic(run_id), STAFF_TOPIC}


TOPIC_RULE = ("order.*", _to_its_tracking_page)
RUN_TOPIC_RULES = [(pattern, _to_its_run_trackers) for pattern in RUN_EVENTS]
TOPIC_TEMPLATE = (TRACK_PREFIX, "storefront/_live_tracking.html")
RUN_TOPIC_TEMPLATE = (RUN_PREFIX, "storefront/_live_tracking.html")


def topics_of(order_id: int, run_id: int | None) -> set[str]:
    """What a tracking page hears: its order, and the run its stop waits on, if any."""
    return {track_topic(order_id)} | ({run_topic(run_id)} if run_id is not None else set())


def following(db: Database, runs: RunLookups, order_id: int) -> Follow:
    """The page's topics as they are when a message comes (``LiveStream.follow``): a read only
    after a delivery event (``RunLookups``), not for every message."""

    async def topics_now() -> set[str]:
        return topics_of(order_id, await runs.run_of(db, order_id))

    return topics_now


def account_following(state: State, principal: Principal) -> Follow | None:
    """The runs a customer's orders wait on, for their account's socket (``account_follows``), each
    as its tracking page follows it and looked up as rarely; the team's sockets hear what they did."""
    if principal.role != Role.CUSTOMER:
        return None
    db: Database = state.db
    runs: RunLookups = state.run_lookups

    async def runs_now() -> set[str]:
        return {run_topic(run) for run in await runs.runs_of_account(db, principal.user_id)}

    return runs_now


@websocket("/t/{token:str}/live", opt=PUBLIC)
async def tracking_updates(
    socket: WebSocket[Any, Any, Any],
    *,
    db: AppDb,
    settings: AppSettings,
    tailer: LiveTailer,
    channels: Channels,
    token: FromPath[str],
    run_lookups: RunLookupsState,
) -> None:
    if await refuse_other_sites(socket, settings):
        return
    async with db.read() as session:
        order_id = await tracking.tracked_order_id(session, token)
    if order_id is None:
        await socket.close(code=CLOSE_UNKNOWN_LINK, reason="no order has this tracking link")
        return
    follow = following(db, run_lookups, order_id)
    stream = LiveStream(socket, tailer, await follow(), follow)
    async with stream.subscribed(channels) as subscriber:
        await socket.accept()  # once subscribed: what happens after the page is open reaches it
        # No replay: the page asks for itself again whenever its socket (re)opens.
        await stream.serve(subscriber, heartbeat_every=None)


ROUTES = [tracking_updates]
