"""Real Chromium against the real server, with nothing leaving the machine.

The server runs as a subprocess (``comptoir serve``) on a free port with its own data directory
and the demo accounts. Each test gets fresh browser profiles, so service workers, caches and
cookies never leak from one test to the next. The CDN is always intercepted: "up" answers with the
vendored copies, "down" fails the request.
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from backend.demo.shop import DEMO_PASSWORD
from backend.web import vendoring
from backend.web.assets import VENDOR_DIR, VENDOR_SCRIPTS

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CDN_ROUTE = "https://cdn.jsdelivr.net/**"
TILES_ROUTE = "https://tile.openstreetmap.org/**"  # the delivery map's tiles: a blank one each here
BLANK_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Any host name but the server's fails to resolve: a test can never reach the internet.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
# A camera that needs no one to allow it and films Chromium's own test pattern.
FAKE_CAMERA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
PHONE = {"width": 390, "height": 844}

ContextFactory = Callable[..., BrowserContext]


def _unavailable(reason: str) -> None:
    if os.environ.get("COMPTOIR_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (COMPTOIR_REQUIRE_BROWSER=1)")
    pytest.skip(f"BROWSER TESTS NOT RUN: {reason}")


def _comptoir(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=ROOT, env=env, check=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_health(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the server did not answer /health within 30 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def server_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's data directory, with its SQLite database, for tests that write beside it."""
    return tmp_path_factory.mktemp("comptoir-data")


@pytest.fixture(scope="session")
def server(server_data_dir: Path) -> Iterator[str]:
    """The base URL of a migrated server with the demo data."""
    data_dir = server_data_dir
    port = _free_port()
    env = {
        **os.environ,
        "COMPTOIR_DATA_DIR": str(data_dir),
        "COMPTOIR_PORT": str(port),
        "COMPTOIR_PUSH_LOOPBACK_ONLY": "1",  # no notification ever leaves the machine
    }
    _comptoir("db", "upgrade", env=env)
    _comptoir("demo", env=env)
    log = data_dir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    # "CDN up" is played by the vendored copies, so every test needs them.
    with contextlib.suppress(vendoring.NpmNotFoundError):
        vendoring.vendor()
    missing = [s.filename for s in VENDOR_SCRIPTS if not vendoring.is_current(s, VENDOR_DIR)]
    if missing:
        _unavailable(f"htmx is not vendored ({', '.join(missing)}) and npm is not there to fetch it")
    with sync_playwright() as driver:
        yield driver


def _cdn(up: bool) -> Callable[[Route], None]:
    local = {script.cdn_url: VENDOR_DIR / script.filename for script in VENDOR_SCRIPTS}

    def answer(route: Route) -> None:
        path = local.get(route.request.url)
        if up and path:
            # The pages load these with crossorigin="anonymous": without CORS, SRI refuses them.
            kind = "text/css" if path.suffix == ".css" else "text/javascript"  # the map's style sheet
            route.fulfill(path=path, content_type=kind, headers={"access-control-allow-origin": "*"})
        else:
            route.abort("internetdisconnected")

    return answer


def blank_tiles(route: Route) -> None:
    """Map tiles without the internet: the map draws, on a blank ground."""
    route.fulfill(body=BLANK_TILE, content_type="image/png", headers={"access-control-allow-origin": "*"})


@pytest.fixture
def new_context(
    playwright: Playwright, server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ContextFactory]:
    """Opens a phone-sized browser with a profile of its own: ``new_context(cdn_up=False)``.

    Persistent profiles, because an incognito one is never installable. ``locale="fr-FR"`` makes
    the browser ask for French (Accept-Language), as a French phone would. ``camera=True`` gives
    it a fake camera, already allowed.
    """
    opened: list[BrowserContext] = []

    def open_context(*, cdn_up: bool = True, locale: str = "en-GB", camera: bool = False) -> BrowserContext:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("profile"),
            executable_path=str(CHROMIUM),
            args=LAUNCH_ARGS + FAKE_CAMERA if camera else LAUNCH_ARGS,
            headless=True,
            viewport=PHONE,
            locale=locale,
            base_url=server,
        )
        context.set_default_timeout(10_000)
        context.route(CDN_ROUTE, _cdn(cdn_up))
        context.route(TILES_ROUTE, blank_tiles)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


def first_page(context: BrowserContext) -> Page:
    return context.pages[0] if context.pages else context.new_page()


@pytest.fixture
def page(new_context: ContextFactory) -> Page:
    return first_page(new_context())


@pytest.fixture
def french_page(new_context: ContextFactory) -> Page:
    """A page whose browser prefers French."""
    return first_page(new_context(locale="fr-FR"))


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Through the real form, as a person would; ends on the page the form leads to."""
    page.goto("/login")
    page.locator("#f-email").fill(email)
    page.locator("#f-password").fill(password)
    with page.expect_navigation():
        page.locator("form[action='/login'] button[type=submit]").click()


def wait_for(page: Page, expression: str, seconds: float = 10) -> None:
    """Polls an expression until it holds. Unlike ``page.wait_for_function``, whose polling
    evaluates the expression inside the page, this asks from outside: the pages' own
    Content-Security-Policy forbids evaluating strings, and must not be bypassed in these tests."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if page.evaluate(expression):
                return
        except PlaywrightError as exc:  # asked while the page navigates
            if "Execution context was destroyed" not in str(exc):
                raise
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {seconds} s: {expression}")
        page.wait_for_timeout(50)
