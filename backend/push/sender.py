"""Sending one notification: encrypt it for the browser (RFC 8291, aes128gcm, by ``http_ece``, the
library pywebpush encrypts with), sign for the push service (RFC 8292 VAPID), POST it (RFC 8030) with its TTL,
Urgency and Topic, and say what the answer means (``rules.outcome_of``).

Nothing here waits long: a push service that does not answer within ``timeout`` is a retry later.
"""

from __future__ import annotations

import base64
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlsplit

import aiohttp
import http_ece
from cryptography.hazmat.primitives.asymmetric import ec

from backend.push import rules
from backend.push.rules import Outcome
from backend.push.service import Settled
from backend.push.vapid import VapidKeys

log = logging.getLogger("comptoir.push")


@dataclass(frozen=True)
class Push:
    """A queued notification with where it goes."""

    delivery_id: int
    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str
    payload: str
    ttl: int
    urgency: str
    topic: str
    attempts: int


@lru_cache(maxsize=4096)
def _browser_key(p256dh: str) -> ec.EllipticCurvePublicKey:
    """A subscription's public key, parsed once: the same devices hear message after message."""
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64(p256dh))


def _b64(raw: str) -> bytes:
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


def encrypt(push: Push) -> bytes:
    """RFC 8291's aes128gcm body, from a fresh ECDH key (what pywebpush's ``WebPusher.encode``
    does, through the same ``http_ece``, without re-reading the subscription's keys each time)."""
    return http_ece.encrypt(
        push.payload.encode(),
        salt=os.urandom(16),
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=_browser_key(push.p256dh),
        auth_secret=_b64(push.auth),
        version="aes128gcm",
    )


class Sender:
    """Sends over one aiohttp session (several times the throughput of httpx's pool here, with
    many connections open at once), made in the loop that first sends."""

    def __init__(self, keys: VapidKeys, *, timeout: float = 10.0, loopback_only: bool = False) -> None:
        self.keys = keys
        self.loopback_only = loopback_only  # tests and the benchmark: nothing leaves the machine
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 5.0))
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=512, limit_per_host=0)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def request_of(self, push: Push) -> tuple[bytes, dict[str, str]]:
        body = encrypt(push)
        headers = {
            "Authorization": self.keys.authorization(push.endpoint),
            "TTL": str(push.ttl),
            "Urgency": push.urgency,
            "Topic": push.topic,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        }
        return body, headers

    async def send(self, push: Push) -> Settled:
        if self.loopback_only and not rules.is_loopback(push.endpoint):
            log.warning(
                "push %s: %s is not on this machine; not sent", push.delivery_id, _host(push.endpoint)
            )
            return Settled(push.delivery_id, push.subscription_id, Outcome.REFUSED.value, push.attempts)
        try:
            body, headers = self.request_of(push)
        except Exception as exc:  # keys a browser could never have made: nothing to retry
            log.warning(
                "push %s: cannot encrypt for subscription %s: %s", push.delivery_id, push.subscription_id, exc
            )
            return Settled(push.delivery_id, push.subscription_id, Outcome.REFUSED.value, push.attempts)
        try:
            async with self._client().post(push.endpoint, data=body, headers=headers) as answer:
                status, retry_after = answer.status, answer.headers.get("retry-after")
                said = (await answer.read())[:200]
        except (aiohttp.ClientError, TimeoutError) as exc:
            host = _host(push.endpoint)
            log.info("push %s: no answer from %s (%s)", push.delivery_id, host, type(exc).__name__)
            return self._retry(push, None)
        outcome = rules.outcome_of(status)
        if outcome == Outcome.RETRY:
            return self._retry(push, retry_after)
        if outcome in (Outcome.TOO_BIG, Outcome.REFUSED):
            host = _host(push.endpoint)
            log.warning("push %s to %s refused: %s %r", push.delivery_id, host, status, said)
        return Settled(push.delivery_id, push.subscription_id, outcome.value, push.attempts)

    def _retry(self, push: Push, retry_after: str | None) -> Settled:
        asked = rules.retry_after_seconds(retry_after, datetime.now(UTC))
        delay = rules.retry_delay(push.attempts + 1, asked)
        return Settled(push.delivery_id, push.subscription_id, Outcome.RETRY.value, push.attempts, delay)


def _host(endpoint: str) -> str:
    return urlsplit(endpoint).hostname or ""
