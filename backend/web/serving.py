"""``comptoir serve``: uvicorn, saying where it listens once it does, and stopping cleanly.

SIGINT (Ctrl-C) or SIGTERM (a service manager, ``docker stop``) makes uvicorn finish the requests
under way and run the app's shutdown. It then raises the same signal again, so that the signal's
default action ends the process (status 143 after SIGTERM, "Aborted!" after Ctrl-C); the handlers
installed here make that last step a plain exit with status 0, as for any stop that was asked for.
"""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Iterable
from types import FrameType

import click
import uvicorn
from uvicorn.supervisors import Multiprocess

STARTUP_FAILURE = 3  # uvicorn's status when the app or its socket cannot start


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def announce(sockets: Iterable[socket.socket]) -> None:
    for address in dict.fromkeys(_address(sock) for sock in sockets):
        click.echo(f"Comptoir is serving on {address}", err=True)


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if sockets is None:  # it bound its own address (one process), and listens on it now
            announce(sock for server in self.servers for sock in server.sockets)


def run(config: uvicorn.Config) -> None:
    """Serve until stopped; as ``uvicorn.run``, with the announcement and the clean exit."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # e.g. under nohup: left ignored
            signal.signal(signum, _stopped)
    if config.workers > 1:  # the supervisor binds the socket, the workers share it
        sock = config.bind_socket()
        announce([sock])
        Multiprocess(config, sockets=[sock]).run()
        return
    server = _Server(config)
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
