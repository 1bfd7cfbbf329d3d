"""Reading a small JSON answer from a configured service (the routing server, the geocoder):
bounded in time and in size, and never trusted: a caller that gets None carries on without it."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx

TIMEOUT_SECONDS = 5.0
MAX_ANSWER_BYTES = 4 * 1024 * 1024
USER_AGENT = "Comptoir (delivery planning)"

log = logging.getLogger("comptoir.delivery")


async def get_json(url: str, params: dict[str, str] | None = None) -> Any:
    """The decoded JSON at ``url``, or None if the service is down, slow, too talkative or wrong."""
    try:
        headers = {"User-Agent": USER_AGENT}
        async with (
            asyncio.timeout(TIMEOUT_SECONDS),  # the whole exchange, however slowly it trickles
            httpx.AsyncClient(timeout=TIMEOUT_SECONDS, headers=headers) as client,
            client.stream("GET", url, params=params) as response,
        ):
            if response.status_code != 200:
                log.warning("%s answered %s", _host(url), response.status_code)
                return None
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    log.warning("%s answered more than %d bytes", _host(url), MAX_ANSWER_BYTES)
                    return None
        return json.loads(body)
    except (httpx.HTTPError, ValueError, TimeoutError) as exc:
        log.warning("%s could not be used: %s", _host(url), type(exc).__name__)
        return None


def _host(url: str) -> str:
    return httpx.URL(url).host or url
