"""``comptoir serve`` as an operator runs it: it says where it listens, and a stop is clean."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

import httpx
import pytest

from backend.app import GC_THRESHOLDS, _freeze_heap, create_app, served_app
from tests.api.conftest import test_settings
from tests.live import ROOT, free_port

STOPS = [
    pytest.param(signal.SIGTERM, True, id="SIGTERM to the process group, as a service manager sends it"),
    pytest.param(signal.SIGINT, True, id="Ctrl-C, which signals the process group"),
    pytest.param(signal.SIGTERM, False, id="SIGTERM to the server process alone"),
]


def _wait_healthy(process: subprocess.Popen[bytes], url: str, timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited with {process.returncode}"
        try:
            if (answer := httpx.get(f"{url}/health", timeout=1)).status_code == 200:
                return answer
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError("the server did not become healthy")


def _serve_and_stop(
    database_url: str, data_dir: Path, signum: int, to_group: bool
) -> tuple[int, int, str, httpx.Response]:
    """Start the server, stop it as soon as it answers; its port, exit status, whole output and
    first health answer."""
    port = free_port()
    env = {
        **os.environ,
        "COMPTOIR_DATABASE_URL": database_url,
        "COMPTOIR_DATA_DIR": str(data_dir),
        "COMPTOIR_HTMX_SOURCE": "local",
    }
    command = [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)]
    output = data_dir / "serve.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(  # its own process group, like a service or a terminal's job
            command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            health = _wait_healthy(process, f"http://127.0.0.1:{port}")
            (os.killpg if to_group else os.kill)(process.pid, signum)
            status = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return port, status, output.read_text(), health


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "to_group"), STOPS)
def test_a_stopped_server_exits_0_without_an_error_after_saying_where_it_served(
    database_url: str, tmp_path: Path, signum: int, to_group: bool
) -> None:
    port, status, output, health = _serve_and_stop(database_url, tmp_path, signum, to_group)
    lines = output.splitlines()
    # Links and the socket origin check name the port given on the command line, not the default.
    assert f"ws://127.0.0.1:{port}" in health.headers["content-security-policy"]
    assert status == 0, output
    assert f"Comptoir is serving on http://127.0.0.1:{port}" in lines
    alarming = [line for line in lines if any(word in line for word in ("ERROR", "Traceback", "Aborted"))]
    assert alarming == []


async def test_an_app_made_and_dropped_in_one_process_is_freed(tmp_path: Path, database_url: str) -> None:
    """Only the served app freezes its start-up heap: a frozen object is never collected, and a
    process that makes apps one after another (the tests make one each) would keep them all."""
    app = create_app(test_settings(tmp_path, database_url))
    async with app.lifespan():
        await app.state.housekept.wait()
    gone = weakref.ref(app.state.db)  # the app itself takes no weak reference; its database lives by it
    del app
    gc.collect()
    assert gone() is None


def test_the_served_app_freezes_its_start_up_heap() -> None:
    assert _freeze_heap in served_app().on_startup


def test_the_served_process_collects_its_young_objects_less_often() -> None:
    code = "import gc; from backend.app import _freeze_heap; _freeze_heap(); print(*gc.get_threshold())"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert tuple(int(n) for n in done.stdout.split()) == GC_THRESHOLDS
