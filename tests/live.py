"""The real server in a subprocess, for what needs real sockets: websockets and several processes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
EVENT_ID = re.compile(r'class="toast" data-event-id="(\d+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    database_url: str
    data_dir: Path
    poll_seconds: float = 0.2
    extra_env: dict[str, str] = field(default_factory=dict)
    log_file: Path | None = None  # where the server's output goes (by default, the test's own)
    process: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.port = free_port()
        env = {
            **os.environ,
            "COMPTOIR_DATABASE_URL": self.database_url,
            "COMPTOIR_DATA_DIR": str(self.data_dir),
            "COMPTOIR_TAILER_POLL_SECONDS": str(self.poll_seconds),
            "COMPTOIR_LOG_REQUESTS": "0",
            "COMPTOIR_HTMX_SOURCE": "local",
            "COMPTOIR_PUSH_LOOPBACK_ONLY": "1",
            **self.extra_env,
        }
        command = [sys.executable, "-m", "backend.cli", "serve", "--port", str(self.port)]
        # A process group of its own, so that ``kill`` reaches the SQLite writer process with it.
        if self.log_file is None:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        else:
            with self.log_file.open("ab") as output:  # the child keeps its own copy of the file
                self.process = subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
                )
        self._wait_healthy()
        return self

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become healthy")

    def kill(self) -> None:
        """``kill -9`` the server and every process it started, as a power cut would."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


async def session_cookie(server_url: str, email: str, password: str) -> str:
    async with httpx.AsyncClient(base_url=server_url, timeout=10) as client:
        await client.get("/login")
        data = {"email": email, "password": password, "_csrf_token": client.cookies["csrftoken"]}
        response = await client.post("/login", data=data)
        assert response.status_code == 303, response.text
        return client.cookies["comptoir_session"]


def event_ids(message: str) -> list[int]:
    return [int(found) for found in EVENT_ID.findall(message)]
