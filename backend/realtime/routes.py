"""``GET /ws``: a signed-in browser's live stream of fragments for the topics it may hear, and
those the domains above follow for its account while it is open (``account_follows``)."""

from __future__ import annotations

import re
from typing import Any

from litestar import WebSocket, websocket

from backend.auth.web.guards import signed_in
from backend.realtime import rules
from backend.realtime.streams import LiveStream, along, refuse_other_sites
from backend.realtime.web.dependencies import AccountFollows, LiveTailer
from backend.web.dependencies import AppSettings, Channels, CurrentPrincipal

# Event ids are 64-bit; ASCII digits only (``isdigit`` also takes "²", which ``int`` refuses).
_EVENT_ID = re.compile(r"[0-9]{1,18}")


def _since(socket: WebSocket[Any, Any, Any]) -> int | None:
    raw = socket.query_params.get("since") or ""
    return int(raw) if _EVENT_ID.fullmatch(raw) else None


@websocket("/ws", guards=[signed_in])
async def live_updates(
    socket: WebSocket[Any, Any, Any],
    *,
    settings: AppSettings,
    tailer: LiveTailer,
    principal: CurrentPrincipal,
    channels: Channels,
    account_follows: AccountFollows,
) -> None:
    if await refuse_other_sites(socket, settings):
        return
    own = rules.topics_for_principal(principal)
    added = [f for make in account_follows if (f := make(principal)) is not None]
    follow = along(own, added)
    stream = LiveStream(socket, tailer, await follow() if follow else own, follow)
    async with stream.subscribed(channels) as subscriber:
        await socket.accept()  # once subscribed: what happens after the page is open reaches it
        since = _since(socket)
        if since is not None:
            await stream.replay(since)
        await stream.serve(subscriber, settings.websocket_heartbeat_seconds)
