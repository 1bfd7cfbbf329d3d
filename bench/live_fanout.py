"""Live fan-out: 1,000 open sockets, 100 order changes a second, commit → socket latency.

The real server (``comptoir serve``, SQLite in a temporary directory) over the tests' team and a
small shop, with ORDERS orders placed beforehand. CLIENTS client processes (asyncio and the
``websockets`` library) open SOCKETS sockets between them: STAFF of them the acceptance queue's
``/ws`` signed in as the owner (it hears every order), the rest tracking pages' ``/t/<token>/live``,
each on an order of its own, spread over the ORDERS. Another process then accepts the orders one
after the other through the API (``POST /api/v1/orders/{id}/accept`` with a token), RATE a second
for SECONDS seconds, so every tracking socket hears exactly one change and every queue socket all
of them.

The same changes run twice, each on a fresh copy of the seeded database and a fresh server: with
10 sockets first (``few_sockets``: the change path's own latency), then with SOCKETS (``fanout``).

Latency (``p50_ms``, ``p99_ms``) is from the accept's event being recorded (``events.at``, just
before its transaction commits) to a socket receiving the change: commit → socket plus the commit
itself, an upper bound; ``from_answer`` starts at the accept's answer, after the commit: a lower
bound. Every socket must hear each of its changes exactly once: a missing or repeated message makes
the run fail, so does any answer but 200. ``server_cpu_ms_per_change`` is the server process's CPU
(``/proc``) per change, which the machine's other work changes far less than latencies; the client
processes' CPU is given too, to show they are not the bottleneck.

Environment: BENCH_SOCKETS (1000), BENCH_STAFF_SOCKETS (100), BENCH_CLIENTS (4), BENCH_RATE (100),
BENCH_SECONDS (20), BENCH_PROFILE (a path: run the server under cProfile and write its profile
there). Target: p99 < 100 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import foundation  # noqa: E402
import httpx  # noqa: E402

SOCKETS = int(os.environ.get("BENCH_SOCKETS", "1000"))
STAFF = int(os.environ.get("BENCH_STAFF_SOCKETS", "100"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
RATE = float(os.environ.get("BENCH_RATE", "100"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
PROFILE = os.environ.get("BENCH_PROFILE")
ORDERS = int(RATE * SECONDS)
TARGET_P99_MS = 100
DRAIN_SECONDS = 5.0  # after the last change, how long sockets may still take to hear it
IN_FLIGHT = 32  # accepts on their way at once, at most (a slow answer must not slow the pace)
QUEUE_CARD = re.compile(r'id="queue-card-(\d+)"')
EVENT_ID = re.compile(r'data-event-id="(\d+)"')


def log(message: str) -> None:
    print(f"live fan-out: {message}", file=sys.stderr, flush=True)


# -- setup (in this process, before the server starts) --------------------------------------------


async def _seed(url: str) -> list[tuple[int, str]]:
    """The team, a shop with stock for every order, and ORDERS placed orders: (id, tracking token)."""
    from backend.auth.rules import Role
    from backend.kernel.db import Database
    from backend.orders import service
    from backend.orders.drafts import WantedLine
    from tests.api.order_fixtures import actor_for, build_shop, draft
    from tests.people import add_people

    db = Database(url)
    try:
        users = await add_people(db)
        await build_shop(db, {"APPLE": (ORDERS + 10, 0), "PEAR": (10, 0), "PLUM": (3, 3)})
        actor = actor_for(Role.STAFF, users[Role.STAFF].id)
        line = [WantedLine("APPLE", 1)]
        gate = asyncio.Semaphore(16)  # placed side by side: the writer groups their commits

        async def place() -> tuple[int, str]:
            async with gate:
                order = await service.place_order(db, actor, draft(lines=line))
                return order.id, order.tracking_token

        return sorted(await asyncio.gather(*(place() for _ in range(ORDERS))))
    finally:
        await db.dispose()


async def _recorded(url: str) -> dict[int, float]:
    """When each accept's event was recorded, just before its transaction committed."""
    from sqlalchemy import select

    from backend.kernel.db import Database
    from backend.kernel.events import Event

    db = Database(url)
    try:
        async with db.read() as session:
            rows = await session.execute(
                select(Event.subject, Event.at).where(Event.type == "order.accepted")
            )
            return {
                int(subject.split(":")[1]): at.replace(tzinfo=at.tzinfo or UTC).timestamp()
                for subject, at in rows
            }
    finally:
        await db.dispose()


async def _token(url: str) -> str:
    from backend.auth.service import create_api_token
    from backend.kernel.db import Database
    from tests.people import PEOPLE, Role

    db = Database(url)
    try:
        return await create_api_token(db, PEOPLE[Role.OWNER][0], "bench")
    finally:
        await db.dispose()


def _cookie(base: str) -> str:
    from tests.people import PASSWORD, PEOPLE, Role

    with httpx.Client(base_url=base, timeout=30, trust_env=False) as client:
        form = client.get("/login")
        match = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        if not match:
            raise foundation.BenchError(f"GET /login answered {form.status_code} without a CSRF field")
        data = {"email": PEOPLE[Role.OWNER][0], "password": PASSWORD, "_csrf_token": match[1]}
        if client.post("/login", data=data).status_code != 303:
            raise foundation.BenchError("the owner could not sign in")
        return client.cookies["comptoir_session"]


# -- a client process: opens its sockets, says "ready", records what it hears until "stop" --------


async def _client(specs: list[dict[str, Any]], out: Path) -> None:
    from websockets.asyncio.client import connect

    heard: list[list[Any]] = []  # [socket, time, order id or None, event ids]
    opening = asyncio.Semaphore(25)

    async def listen(index: int, spec: dict[str, Any]) -> None:
        async with opening:
            socket = await connect(
                spec["url"], origin=spec["origin"], additional_headers=spec.get("headers"), open_timeout=60
            )
        opened.append(index)
        async for message in socket:
            now = time.time()
            card = QUEUE_CARD.search(message)
            heard.append(
                [index, now, int(card[1]) if card else None, [int(e) for e in EVENT_ID.findall(message)]]
            )

    opened: list[int] = []
    tasks = [asyncio.create_task(listen(i, spec)) for i, spec in enumerate(specs)]
    while len(opened) < len(specs):
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            raise failed[0].exception()  # type: ignore[misc]
        await asyncio.sleep(0.05)
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "stop"
    lost = [t for t in tasks if t.done()]  # a socket that closed before the end
    await asyncio.to_thread(out.write_text, json.dumps({"heard": heard, "closed": len(lost)}))
    os._exit(0)  # the sockets need no goodbye


# -- the changes ----------------------------------------------------------------------------------


async def _changes(base: str, token: str, order_ids: list[int]) -> dict[int, tuple[float, float]]:
    """Accept the orders at RATE a second: order id → (sent, answered)."""
    times: dict[int, tuple[float, float]] = {}
    failures: list[str] = []
    gate = asyncio.Semaphore(IN_FLIGHT)
    limits = httpx.Limits(max_connections=IN_FLIGHT)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30, trust_env=False
    ) as client:

        async def accept(order_id: int) -> None:
            async with gate:
                sent = time.time()
                answer = await client.post(f"/api/v1/orders/{order_id}/accept")
                if answer.status_code != 200:
                    failures.append(f"{order_id}: {answer.status_code} {answer.text[:200]}")
                times[order_id] = (sent, time.time())

        began, tasks = time.monotonic(), []
        for n, order_id in enumerate(order_ids):
            await asyncio.sleep(max(0.0, began + n / RATE - time.monotonic()))
            tasks.append(asyncio.create_task(accept(order_id)))
        await asyncio.gather(*tasks)
    if failures:
        raise foundation.BenchError(f"{len(failures)} accepts failed, e.g. {failures[:3]}")
    return times


# -- the run --------------------------------------------------------------------------------------


def _specs(
    base: str, port: int, cookie: str, placed: list[tuple[int, str]], *, sockets: int, staff: int
) -> tuple[list[dict], list[int | None]]:
    """Each socket's URL and headers, and the order it tracks (None: a queue socket)."""
    tracking = sockets - staff
    watched = [placed[i * len(placed) // tracking] for i in range(tracking)]
    specs, orders = [], []
    for n in range(sockets):
        if n % (sockets // max(staff, 1)) == 0 and orders.count(None) < staff:
            specs.append(
                {
                    "url": f"ws://127.0.0.1:{port}/ws",
                    "origin": base,
                    "headers": {"Cookie": f"comptoir_session={cookie}"},
                }
            )
            orders.append(None)
        else:
            order_id, link = watched.pop()
            specs.append({"url": f"ws://127.0.0.1:{port}/t/{link}/live", "origin": base})
            orders.append(order_id)
    return specs, orders


def _percentile(values: list[float], share: float) -> float:
    return round(values[min(len(values) - 1, int(len(values) * share))], 1)


# The same changes with a handful of sockets first (the change path's own latency: the request,
# the commit, the tailer), then with all of them: the difference is what fanning out costs.
CASES = (("few_sockets", 10, 1, 1), ("fanout", SOCKETS, STAFF, CLIENTS))


def benchmark(work: Path) -> list[dict[str, Any]]:
    seed = work / "seed"
    seed.mkdir()
    url = f"sqlite+aiosqlite:///{seed / 'comptoir.db'}"
    foundation.run_cli(["db", "upgrade"], {**foundation.server_env(seed, 0), "COMPTOIR_DATABASE_URL": url})
    log(f"placing {ORDERS} orders")
    placed = asyncio.run(_seed(url))
    token = asyncio.run(_token(url))
    results = []
    for name, sockets, staff, clients in CASES:
        data = work / name
        shutil.copytree(seed, data / "data")  # each case starts from the same placed orders
        results.append({"case": name, **_measure(data, placed, token, (sockets, staff, clients))})
    return results


def _measure(
    work: Path, placed: list[tuple[int, str]], token: str, shape: tuple[int, int, int]
) -> dict[str, Any]:
    sockets, staff, processes = shape
    port = foundation.free_port()
    env = foundation.server_env(work / "data", port)
    env["COMPTOIR_WEBSOCKET_HEARTBEAT_SECONDS"] = "3600"  # only changes on the sockets
    url = f"sqlite+aiosqlite:///{work / 'data' / 'comptoir.db'}"
    env["COMPTOIR_DATABASE_URL"] = url
    base = f"http://{foundation.HOST}:{port}"
    command = [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)]
    if PROFILE and sockets == SOCKETS:
        command[1:1] = ["-m", "cProfile", "-o", PROFILE]
    server = foundation.start("server", command, env, work)
    clients: list[subprocess.Popen[str]] = []
    try:
        foundation.wait_healthy(base, server, work / "server.log", timeout=60)
        specs, watching = _specs(base, port, _cookie(base), placed, sockets=sockets, staff=staff)
        log(f"{len(specs)} sockets ({staff} queue, {len(specs) - staff} tracking) from {processes} processes")
        for c in range(processes):
            (work / f"specs{c}.json").write_text(json.dumps(specs[c::processes]))
            command = [
                sys.executable,
                __file__,
                "--client",
                str(work / f"specs{c}.json"),
                str(work / f"heard{c}.json"),
            ]
            clients.append(
                subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            )
        for client in clients:
            if client.stdout is None or client.stdout.readline().strip() != "ready":
                raise foundation.BenchError("a client process could not open its sockets")
        time.sleep(1.0)  # the placements' own messages, if any, are behind us
        log(f"{ORDERS} accepts at {RATE:g}/s")
        load = os.getloadavg()[0]
        cpu = foundation.process_cpu_seconds(server.pid)
        clients_cpu = sum(foundation.process_cpu_seconds(client.pid) for client in clients)
        times = asyncio.run(_changes(base, token, [order_id for order_id, _ in placed]))
        time.sleep(DRAIN_SECONDS)
        server_cpu = foundation.process_cpu_seconds(server.pid) - cpu
        clients_cpu = sum(foundation.process_cpu_seconds(client.pid) for client in clients) - clients_cpu
        recorded = asyncio.run(_recorded(url))
        times = {
            order_id: (sent, recorded[order_id], answered) for order_id, (sent, answered) in times.items()
        }
        for client in clients:
            assert client.stdin is not None
            client.stdin.write("stop\n")
            client.stdin.flush()
            client.wait(30)
        return _figures(
            work,
            watching,
            times,
            {"server": server_cpu, "clients": clients_cpu},
            load=load,
            processes=processes,
        )
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
        foundation.stop(server)


def _figures(
    work: Path,
    watching: list[int | None],
    times: dict[int, tuple[float, float, float]],
    cpu: dict[str, float],
    *,
    load: float,
    processes: int,
) -> dict[str, Any]:
    heard: list[list[Any]] = []
    closed = 0
    for c in range(processes):
        data = json.loads((work / f"heard{c}.json").read_text())
        closed += data["closed"]
        # Each client numbered its own sockets; back to the run's numbering (specs[c::CLIENTS]).
        heard += [[index * processes + c, *rest] for index, *rest in data["heard"]]
    # A tracking socket hears its order's change once; a queue socket each accept once (one
    # message per event: the first with the order's card is the change's arrival).
    first: dict[tuple[int, int], float] = {}
    per_event: dict[tuple[int, int], int] = {}
    per_tracking: dict[int, int] = {}
    for socket, at, card, event_ids in heard:
        order_id = watching[socket]
        if order_id is not None:
            per_tracking[socket] = per_tracking.get(socket, 0) + 1
        else:
            for event_id in set(event_ids):  # a message may name its event twice
                per_event[(socket, event_id)] = per_event.get((socket, event_id), 0) + 1
            order_id = card
        if order_id in times and (socket, order_id) not in first:
            first[(socket, order_id)] = at
    repeated = sum(1 for count in per_event.values() if count > 1)
    repeated += sum(1 for count in per_tracking.values() if count > 1)
    from_recorded = sorted((at - times[o][1]) * 1000 for (_, o), at in first.items())
    from_answer = sorted((at - times[o][2]) * 1000 for (_, o), at in first.items())
    round_trips = sorted((answered - sent) * 1000 for sent, _, answered in times.values())
    got = first
    expected = {(s, o) for s, o in enumerate(watching) if o is not None}
    expected |= {(s, o) for s, w in enumerate(watching) if w is None for o in times}
    missing = len(expected - got.keys())
    return {
        "bench": "live_fanout",
        "sockets": len(watching),
        "queue_sockets": watching.count(None),
        "changes": len(times),
        "changes_per_s": RATE,
        "messages_expected": len(expected),
        "messages_heard": len(first),
        "missing": missing,
        "repeated": repeated,
        "closed_early": closed,
        # From the event's recording (just before its commit) to the socket: at most commit →
        # socket plus the commit itself; from the accept's answer (after the commit): at least it.
        "p50_ms": round(statistics.median(from_recorded), 1),
        "p99_ms": _percentile(from_recorded, 0.99),
        "max_ms": round(from_recorded[-1], 1),
        "from_answer_p50_ms": round(statistics.median(from_answer), 1),
        "from_answer_p99_ms": _percentile(from_answer, 0.99),
        "accept_p50_ms": round(statistics.median(round_trips), 1),
        "accept_p99_ms": _percentile(round_trips, 0.99),
        # CPU over the changes and the drain: the server's per change (the accept's request, the
        # tailer, every socket's send), and the client processes' (the load generators must stay
        # well under two cores' worth: a core each at most).
        "server_cpu_ms_per_change": round(cpu["server"] * 1000 / len(times), 2),
        "server_cpu_ms_per_message": round(cpu["server"] * 1000 / max(len(first), 1), 3),
        "server_cpu_share": round(cpu["server"] / (SECONDS + DRAIN_SECONDS), 3),
        "clients_cpu_share": round(cpu["clients"] / (SECONDS + DRAIN_SECONDS), 3),
        "load_average_1m": round(load, 2),
        "target_p99_ms": TARGET_P99_MS,
        "target_met": _percentile(from_recorded, 0.99) < TARGET_P99_MS,
    }


def main() -> int:
    if sys.argv[1:2] == ["--client"]:
        asyncio.run(_client(json.loads(Path(sys.argv[2]).read_text()), Path(sys.argv[3])))
        return 0

    def measured(work: Path) -> None:
        for figures in benchmark(work):
            print(json.dumps(figures), flush=True)
            if figures["missing"] or figures["repeated"] or figures["closed_early"]:
                raise foundation.BenchError(
                    f"{figures['case']}: {figures['missing']} messages missing, {figures['repeated']} "
                    f"repeated, {figures['closed_early']} sockets closed early"
                )

    return foundation.run_bounded(measured, 2 * int(SECONDS) + 900, "live_fanout")


if __name__ == "__main__":
    sys.exit(main())
