"""Foundation benchmark: the real server's /health and signed-in home page against a bare ceiling.

Prints one JSON line per measurement on stdout, then one line with the ratios and the targets;
progress goes to stderr. Exits non-zero when a measurement cannot be trusted (server did not
start, sign-in failed, errors or non-2xx answers under load), not when a target is missed.

Environment: BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 64) per measurement.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
REPORT_LUA = Path(__file__).resolve().parent / "wrk" / "report.lua"
# All traffic stays on this machine; httpx gets trust_env=False so a proxy variable cannot divert it.
HOST = "127.0.0.1"

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
THREADS = min(2, CONNECTIONS)  # wrk wants at least one connection per thread
# Lets Jinja compile templates and SQLAlchemy fill its statement cache before we measure.
WARMUP_SECONDS = 2

HOME_RATIO_TARGET = 0.40  # signed-in home page, as a share of the bare /page requests/s
HOME_P99_TARGET_MS = 25.0

DEMO_EMAIL, DEMO_PASSWORD = "owner@demo.test", "comptoir-demo"
BOTTOM_NAV = 'class="bottom-nav"'  # only rendered for a signed-in person


class BenchError(Exception):
    """A measurement that cannot be trusted; the message says why."""


def log(message: str) -> None:
    print(f"foundation: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_env(data_dir: Path, port: int) -> dict[str, str]:
    # Drop any COMPTOIR_* of the caller: the benchmark must never touch a real database.
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMPTOIR_")}
    env.update(
        COMPTOIR_DATA_DIR=str(data_dir),
        COMPTOIR_HOST=HOST,
        COMPTOIR_PORT=str(port),  # base_url follows it
        COMPTOIR_LOG_REQUESTS="0",  # one log line per request would dominate what we measure
    )
    return env


def run_cli(args: list[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=REPO, env=env, check=True, timeout=120)


def start(name: str, command: list[str], env: dict[str, str], log_dir: Path) -> subprocess.Popen[bytes]:
    with (log_dir / f"{name}.log").open("wb") as output:  # the child keeps its own copy of the file
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_healthy(base: str, process: subprocess.Popen[bytes], log_file: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{base} exited with {process.returncode}:\n{log_file.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{base}/health did not answer 200 within {timeout} s")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU one process has used so far, from /proc (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def tree_cpu_seconds(pid: int) -> float:
    """CPU used so far by the server's processes: ``pid`` and its descendants (the workers, the
    SQLite writer; the photo checks run in threads, which count with their process)."""
    return sum(process_cpu_seconds(each) for each in (pid, *descendants(pid)))


def descendants(pid: int) -> list[int]:
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            listed = children.read_text().split()
        except OSError:  # a thread that ended meanwhile
            continue
        for child in listed:
            found += [int(child), *descendants(int(child))]
    return found


def sign_in(base: str) -> str:
    """Sign in through the form, as a browser would; return the Cookie header value wrk must send."""
    with httpx.Client(base_url=base, timeout=10, trust_env=False) as client:
        form = client.get("/login")
        match = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        if form.status_code != 200 or not match:
            raise BenchError(f"GET /login answered {form.status_code} without a CSRF field")
        answer = client.post(
            "/login",
            data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "_csrf_token": match[1], "next": "/"},
        )
        cookies = {name: client.cookies.get(name) for name in ("comptoir_session", "csrftoken")}
        if answer.status_code != 303 or not all(cookies.values()):
            raise BenchError(f"sign-in answered {answer.status_code}, cookies {sorted(client.cookies)}")
        return "; ".join(f"{name}={value}" for name, value in cookies.items())


def check_home(base: str, cookie: str) -> int:
    """Fail unless / serves the signed-in page to these cookies; return its size in bytes."""
    answer = httpx.get(f"{base}/", headers={"Cookie": cookie}, timeout=10, trust_env=False)
    if answer.status_code != 200 or BOTTOM_NAV not in answer.text:
        raise BenchError(f"/ answered {answer.status_code} without the bottom navigation: not signed in")
    return len(answer.content)


def wrk(url: str, seconds: int, headers: list[str]) -> dict[str, Any]:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "2s"]
    command += ["-s", str(REPORT_LUA), *(arg for header in headers for arg in ("-H", header)), url]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30)
    # report.lua writes its JSON object as the last line, after wrk's own text summary.
    last = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not last:
        raise BenchError(f"wrk printed no JSON for {url}:\n{done.stdout}{done.stderr}")
    return json.loads(last[-1])


def measure(name: str, url: str, headers: list[str] | None = None) -> dict[str, Any]:
    log(f"{name}: {url} ({SECONDS} s, {CONNECTIONS} connections)")
    wrk(url, WARMUP_SECONDS, headers or [])
    result = {"measurement": name, "url": url, **wrk(url, SECONDS, headers or [])}
    print(json.dumps(result), flush=True)
    errors = result["errors"]
    if any(errors.values()):
        raise BenchError(f"{name}: errors under load {errors}")
    return result


def benchmark(work: Path) -> dict[str, Any]:
    data_dir = work / "data"
    bare_port, real_port = free_port(), free_port()
    env = server_env(data_dir, real_port)
    log(f"data dir {data_dir}: migrating and loading the demo data")
    run_cli(["db", "upgrade"], env)
    run_cli(["demo"], env)

    bare_cmd = [sys.executable, str(Path(__file__).with_name("bare_app.py")), "--port", str(bare_port)]
    real_cmd = [sys.executable, "-m", "backend.cli", "serve", "--port", str(real_port)]
    bare, real = f"http://{HOST}:{bare_port}", f"http://{HOST}:{real_port}"
    servers = [start("bare", bare_cmd, env, work), start("real", real_cmd, env, work)]
    try:
        wait_healthy(bare, servers[0], work / "bare.log")
        wait_healthy(real, servers[1], work / "real.log")
        cookie = sign_in(real)
        log(f"signed in; the home page is {check_home(real, cookie)} bytes")

        bare_health = measure("bare_health", f"{bare}/health")
        real_health = measure("real_health", f"{real}/health")
        bare_page = measure("bare_page", f"{bare}/page")
        real_home = measure("real_home", f"{real}/", [f"Cookie: {cookie}"])
        check_home(real, cookie)  # still signed in after the load
    finally:
        for server in servers:
            stop(server)

    home_ratio = real_home["requests_per_s"] / bare_page["requests_per_s"]
    home_p99 = real_home["p99_ms"]
    ratio_met, p99_met = home_ratio >= HOME_RATIO_TARGET, home_p99 < HOME_P99_TARGET_MS
    return {
        "summary": "foundation",
        "seconds": SECONDS,
        "connections": CONNECTIONS,
        "health_ratio": round(real_health["requests_per_s"] / bare_health["requests_per_s"], 3),
        "home_ratio": round(home_ratio, 3),
        "home_p99_ms": home_p99,
        "targets": {"home_ratio_min": HOME_RATIO_TARGET, "home_p99_max_ms": HOME_P99_TARGET_MS},
        "home_ratio_met": ratio_met,
        "home_p99_met": p99_met,
        "targets_met": ratio_met and p99_met,
    }


def _give_up(signum: int, _frame: object) -> None:
    raise BenchError(f"stopped by signal {signum}")  # unwinds through the finally blocks: cleanup runs


def run_bounded(benchmark: Callable[[Path], object], seconds: int, name: str) -> int:
    """Run ``benchmark`` in a temporary directory that is removed however it ends, within
    ``seconds`` even if a server or wrk hangs in a way the other timeouts miss; the exit status."""
    signal.signal(signal.SIGTERM, _give_up)
    signal.signal(signal.SIGALRM, _give_up)
    signal.alarm(seconds)
    try:
        with tempfile.TemporaryDirectory(prefix=f"comptoir-bench-{name}-") as work:
            benchmark(Path(work))
    except (BenchError, subprocess.SubprocessError) as exc:
        print(f"{name}: FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr, flush=True)
        return 130
    finally:
        signal.alarm(0)
    return 0


def main() -> int:
    def measured(work: Path) -> None:
        print(json.dumps(benchmark(work)), flush=True)

    return run_bounded(measured, 4 * (SECONDS + WARMUP_SECONDS + 40) + 240, "foundation")


if __name__ == "__main__":
    sys.exit(main())
