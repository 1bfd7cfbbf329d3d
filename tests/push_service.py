"""A push service of our own for the tests: what a browser vendor's would do with our messages.

It speaks RFC 8030 on 127.0.0.1 (``POST /push/<id>`` answered 201), checks the VAPID token of
RFC 8292 (ES256 over the claims, ``aud`` its own origin, ``exp`` in the next 24 hours, signed by
the key in ``k=``) and decrypts the aes128gcm body of RFC 8291 with the subscription's private key
(``http_ece.decrypt``), as the browser will. It records what it got, and can be told to answer an
endpoint with 404, 410, 413, 429 (with Retry-After) or 500, or not at all.

Run alone (``python -m tests.push_service --port N``) it also lists what it received at
``GET /received`` (``?since=N``: from the N+1th on) and makes subscriptions at ``POST /subscriptions`` (the benchmark's use).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import http_ece
import uvicorn
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64d(raw: str) -> bytes:
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


def b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def vapid_problem(header: str, origin: str, now: float, expected_key: str | None = None) -> str | None:
    """Why an ``Authorization`` header is not a valid VAPID token for this service, or None."""
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "vapid":
        return "scheme"
    fields = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
    token, key = fields.get("t", ""), fields.get("k", "")
    if token.count(".") != 2 or not key:
        return "token"
    head, claims, signature = token.split(".")
    if json.loads(b64d(head)).get("alg") != "ES256":
        return "alg"
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key))
    raw = b64d(signature)
    if len(raw) != 64:
        return "signature"
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "signature"
    body = json.loads(b64d(claims))
    if body.get("aud") != origin:
        return "aud"
    if not isinstance(body.get("exp"), int) or not now < body["exp"] <= now + 86400:
        return "exp"
    if not body.get("sub"):
        return "sub"
    if expected_key is not None and key.rstrip("=") != expected_key:
        return "key"
    return None


@dataclass(eq=False)  # one per browser: compared and hashed by identity
class Device:
    """A browser's side of a subscription: its key pair and auth secret."""

    id: int
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    endpoint: str

    def subscription(self) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives the page."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64e(point), "auth": b64e(self.auth)}}


@dataclass
class Received:
    device_id: int
    payload: dict[str, Any]
    ttl: int
    urgency: str
    topic: str
    at: float


@dataclass
class PushService:
    host: str = "127.0.0.1"
    port: int = 0
    expected_key: str | None = None  # the app's VAPID public key, when the test knows it
    received: list[Received] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (device, why)
    attempts: list[tuple[int, float, int]] = field(default_factory=list)  # (device, when, status answered)
    delay: float = 0.0  # seconds each message takes to be answered
    devices: dict[int, Device] = field(default_factory=dict)
    _answers: dict[int, deque[tuple[int, str | None]]] = field(default_factory=lambda: defaultdict(deque))
    _hanging: set[int] = field(default_factory=set)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def new_device(self) -> Device:
        device_id = len(self.devices) + 1
        device = Device(
            device_id,
            ec.generate_private_key(ec.SECP256R1()),
            os.urandom(16),
            f"{self.origin}/push/{device_id}",
        )
        self.devices[device_id] = device
        return device

    def answer(self, device: Device, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the device's next ``times`` messages with ``status`` instead of accepting them."""
        self._answers[device.id].extend([(status, retry_after)] * times)

    def hang(self, device: Device) -> None:
        """Never answer this device's messages (a push service that is down)."""
        self._hanging.add(device.id)

    def of(self, device: Device) -> list[Received]:
        return [r for r in self.received if r.device_id == device.id]

    async def wait_for(self, count: int, within: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + within
        while len(self.received) < count and time.monotonic() < deadline:
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), timeout=0.1)
        return self.received

    # -- HTTP ----------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        query = dict(part.split("=", 1) for part in scope["query_string"].decode().split("&") if "=" in part)
        since = int(query["since"]) if query.get("since", "").isdigit() else 0
        status, extra, content = await self._handle(scope["method"], scope["path"], headers, body, since)
        await send({"type": "http.response.start", "status": status, "headers": extra})
        await send({"type": "http.response.body", "body": content})

    async def _handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes, since: int = 0
    ) -> tuple:
        if method == "GET" and path == "/received":
            rows = [vars(r) for r in self.received[since:]]
            return 200, [(b"content-type", b"application/json")], json.dumps(rows).encode()
        if method == "POST" and path == "/subscriptions":
            return (
                201,
                [(b"content-type", b"application/json")],
                json.dumps(self.new_device().subscription()).encode(),
            )
        if method != "POST" or not path.startswith("/push/") or not path[6:].isdigit():
            return 404, [], b""
        device = self.devices.get(int(path[6:]))
        if device is None:
            return 404, [], b""
        if device.id in self._hanging:
            await asyncio.sleep(3600)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._answers[device.id]:
            status, retry_after = self._answers[device.id].popleft()
            self.attempts.append((device.id, time.time(), status))
            return status, [(b"retry-after", retry_after.encode())] if retry_after else [], b""
        answer = self._accept(device, headers, body)
        self.attempts.append((device.id, time.time(), answer[0]))
        return answer

    def _accept(self, device: Device, headers: dict[str, str], body: bytes) -> tuple:
        problem = vapid_problem(headers.get("authorization", ""), self.origin, time.time(), self.expected_key)
        if problem is None and not headers.get("ttl", "").isdigit():
            problem = "ttl"  # RFC 8030 makes TTL mandatory
        if problem is None and headers.get("content-encoding") != "aes128gcm":
            problem = "encoding"
        if problem is not None:
            self.refused.append((device.id, problem))
            return 401 if problem in ("scheme", "token", "signature", "aud", "exp", "key") else 400, [], b""
        try:
            plain = http_ece.decrypt(
                body, private_key=device.private_key, auth_secret=device.auth, version="aes128gcm"
            )
        except Exception:
            self.refused.append((device.id, "decrypt"))
            return 400, [], b""
        self.received.append(
            Received(
                device.id,
                json.loads(plain),
                int(headers["ttl"]),
                headers.get("urgency", "normal"),
                headers.get("topic", ""),
                time.time(),
            )
        )
        self.arrived.set()
        return 201, [(b"location", f"{self.origin}/message/{len(self.received)}".encode())], b""

    # -- running -------------------------------------------------------------------------------

    async def start(self) -> PushService:
        config = uvicorn.Config(self, host=self.host, port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    service = PushService(port=args.port)
    uvicorn.run(service, host="127.0.0.1", port=args.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
